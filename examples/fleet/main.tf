# Twenty instances from one module with for_each, resized together:
#
#   terraform init         # installs the local module and the provider (after `make install`)
#   terraform apply -parallelism=20
#   terraform apply -parallelism=20 -var instance_type=ecs.g6.xlarge -var max_unavailable=3
#
# All instances share the provider's rate limiter and batched lookups; throttling answers
# slow it down. With max_unavailable set, the resize is rolling: at most that many
# instances are down at once, the others keep running until a slot is free.
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
  default = 1
}

variable "size" {
  type    = number
  default = 20
}

variable "modification_cooldown" {
  description = "The API's minimum time between two modifications of an instance. Null: the ECS_MODIFICATION_COOLDOWN environment variable (set it to an emulator's --cooldown), else 5m, ECS's rule."
  type        = string
  default     = null
}

variable "max_unavailable" {
  description = "Most instances down at once for a resize (null: no cap)."
  type        = number
  default     = null
}

variable "update_grace_period" {
  description = "How long a resized instance runs before the next one may go down."
  type        = string
  default     = "0s"
}

provider "ecs" {
  modification_cooldown = var.modification_cooldown
  max_unavailable       = var.max_unavailable
  update_grace_period   = var.update_grace_period
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

module "node" {
  source   = "./modules/node"
  for_each = toset([for i in range(var.size) : format("node-%02d", i)])

  name          = each.key
  instance_type     = var.instance_type
  bandwidth_out     = var.bandwidth_out
  vswitch_id        = var.vswitch_id
  security_group_id = var.security_group_id
}

output "instances" {
  value = { for name, node in module.node : name => "${node.id} ${node.instance_type} ${node.status}" }
}
