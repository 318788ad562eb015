# A fleet that alicloud_instance owns, resized by ecs_instance_spec as a rolling update.
#
# alicloud keeps owning the instances (image, network, disks, their creation and
# deletion) and ignores what ecs_instance_spec owns: the type and the bandwidth.
# `terraform apply` after changing a type in var.fleet stops at most
# max_unavailable instances at once, warning in the plan which ones will stop.

terraform {
  required_providers {
    alicloud = {
      source = "aliyun/alicloud"
    }
    ecs = {
      source = "registry.terraform.io/ecs-tools/ecs"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}

provider "ecs" {
  region          = "cn-hangzhou"
  max_unavailable = 2 # at most two instances down at once, fleet-wide
}

variable "fleet" {
  description = "Instance name => instance type."
  type        = map(string)
  default = {
    web-1 = "ecs.g6.large"
    web-2 = "ecs.g6.large"
    web-3 = "ecs.g6.large"
    web-4 = "ecs.g6.large"
  }
}

variable "vswitch_id" {
  type = string
}

variable "security_group_id" {
  type = string
}

resource "alicloud_instance" "web" {
  for_each = var.fleet

  instance_name   = each.key
  image_id        = "aliyun_3_x64_20G_alibase_20240819.vhd"
  instance_type   = each.value # the type at creation; ecs_instance_spec owns it afterwards
  vswitch_id      = var.vswitch_id
  security_groups = [var.security_group_id]

  lifecycle {
    ignore_changes = [instance_type, internet_max_bandwidth_out, internet_max_bandwidth_in]
  }
}

module "resize" {
  source = "./resize"

  instances = { for name, i in alicloud_instance.web : name => i.id }
  types     = var.fleet
}

output "instances" {
  value = module.resize.instances
}
