# Resize instances another configuration owns (here found by tag), rolling:
# the provider's max_unavailable caps how many are down at once.
terraform {
  required_providers {
    ecs = {
      source  = "registry.terraform.io/ecs-tools/ecs"
      version = "~> 0.1"
    }
  }
}

provider "ecs" {
  max_unavailable = 1
}

data "ecs_instances" "web" {
  tags = { team = "web" }
}

resource "ecs_instance_spec" "web" {
  for_each = { for i in data.ecs_instances.web.instances : i.id => i }

  instance_id                = each.key
  instance_type              = "ecs.g6.xlarge"
  internet_max_bandwidth_out = 20
}
