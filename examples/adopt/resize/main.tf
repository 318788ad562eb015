# The ecs half of examples/adopt: type and bandwidth of instances someone else owns.
# Usable on its own, with instance IDs from anywhere (alicloud_instance, the
# ecs_instances data source, a list in a tfvars file).

terraform {
  required_providers {
    ecs = {
      source = "registry.terraform.io/ecs-tools/ecs"
    }
  }
}

variable "instances" {
  description = "Name => instance ID."
  type        = map(string)
}

variable "types" {
  description = "Name => instance type."
  type        = map(string)
}

variable "bandwidth_out" {
  description = "Outbound bandwidth in Mbit/s for every instance (null: leave as it is)."
  type        = number
  default     = null
}

resource "ecs_instance_spec" "this" {
  for_each = var.instances

  instance_id                = each.value
  instance_type              = var.types[each.key]
  internet_max_bandwidth_out = var.bandwidth_out
}

output "instances" {
  value = {
    for name, s in ecs_instance_spec.this : name => {
      id            = s.id
      instance_type = s.instance_type
      status        = s.status
      cpu           = s.cpu
      memory        = s.memory
    }
  }
}
