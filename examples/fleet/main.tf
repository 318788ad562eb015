# Twenty instances from one module with for_each, resized together:
#
#   terraform get          # installs the local module (no provider download needed)
#   terraform apply -parallelism=20
#   terraform apply -parallelism=20 -var instance_type=ecs.g6.xlarge
#
# All instances share the provider's rate limiter; throttling answers slow it down.
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
  type    = string
  default = "5m"
}

provider "ecs" {
  modification_cooldown = var.modification_cooldown
}

module "node" {
  source   = "./modules/node"
  for_each = toset([for i in range(var.size) : format("node-%02d", i)])

  name          = each.key
  instance_type = var.instance_type
  bandwidth_out = var.bandwidth_out
}

output "instances" {
  value = { for name, node in module.node : name => "${node.id} ${node.instance_type} ${node.status}" }
}
