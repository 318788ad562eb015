# One node of the fleet.
terraform {
  required_providers {
    ecs = {
      source  = "registry.terraform.io/ecs-tools/ecs"
      version = "~> 0.1"
    }
  }
}

variable "name" {
  type = string
}

variable "instance_type" {
  type = string
}

variable "bandwidth_out" {
  type = number
}

variable "vswitch_id" {
  type = string
}

variable "security_group_id" {
  type = string
}

resource "ecs_instance" "this" {
  image_id                   = "aliyun_3_x64_20G_alibase_20240819.vhd"
  instance_type              = var.instance_type
  instance_name              = var.name
  vswitch_id                 = var.vswitch_id
  security_group_ids         = [var.security_group_id]
  internet_max_bandwidth_out = var.bandwidth_out
}

output "id" {
  value = ecs_instance.this.id
}

output "instance_type" {
  value = ecs_instance.this.instance_type
}

output "status" {
  value = ecs_instance.this.status
}
