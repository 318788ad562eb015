# One instance, resized in place. Apply it once, then again with a new type and bandwidth:
#
#   terraform apply
#   terraform apply -var instance_type=ecs.g6.xlarge -var bandwidth_out=20
#
# The second plan warns that the instance will be stopped, and names the sequence: stop,
# change the type, start; then, after the modification cooldown and while the instance runs,
# change the bandwidth. Credentials, region and endpoint come from the environment
# (ALICLOUD_ACCESS_KEY, ALICLOUD_SECRET_KEY, ALICLOUD_REGION, ALIBABA_CLOUD_ENDPOINT_ECS), and
# against the emulator so does its cooldown (ECS_MODIFICATION_COOLDOWN, as the README's recipe
# sets it); without it the provider waits ECS's 5 minutes.
terraform {
  required_providers {
    ecs = {
      source  = "registry.terraform.io/ecs-tools/ecs"
      version = "~> 0.1"
    }
  }
}

variable "instance_type" {
  type    = string
  default = "ecs.g6.large"
}

variable "bandwidth_out" {
  type    = number
  default = 5
}

variable "modification_cooldown" {
  description = "The API's minimum time between two modifications of an instance. Null: the ECS_MODIFICATION_COOLDOWN environment variable (set it to an emulator's --cooldown), else 5m, ECS's rule."
  type        = string
  default     = null
}

provider "ecs" {
  modification_cooldown = var.modification_cooldown
}

variable "vswitch_id" {
  description = "The vSwitch (VPC network) of the instances. The default is an id the emulator accepts (it models no VPCs); on ECS, use one of yours."
  type        = string
  default     = "vsw-emulator0001"
}

variable "security_group_id" {
  description = "A security group of that VPC (ECS requires one at creation). The default is an id the emulator accepts; on ECS, use one of yours."
  type        = string
  default     = "sg-emulator0001"
}

resource "ecs_instance" "app" {
  image_id                   = "aliyun_3_x64_20G_alibase_20240819.vhd"
  instance_type              = var.instance_type
  instance_name              = "resize-demo"
  vswitch_id                 = var.vswitch_id
  security_group_ids         = [var.security_group_id]
  internet_max_bandwidth_out = var.bandwidth_out
}

output "id" {
  value = ecs_instance.app.id
}

output "instance_type" {
  value = ecs_instance.app.instance_type
}

output "cpu_and_memory" {
  value = "${ecs_instance.app.cpu} vCPU, ${ecs_instance.app.memory} MiB"
}
