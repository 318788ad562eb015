# An ECS instance with every argument spelled out, and the two data sources that help
# choose a resize target.
terraform {
  required_providers {
    ecs = {
      source  = "registry.terraform.io/ecs-tools/ecs"
      version = "~> 0.1"
    }
  }
}

provider "ecs" {}

resource "ecs_instance" "web" {
  image_id      = "aliyun_3_x64_20G_alibase_20240819.vhd" # in place: ReplaceSystemDisk
  instance_type = "ecs.g6.large"                          # changes in place: stop, change, start
  zone_id       = "cn-hangzhou-h"                         # replaces
  vswitch_id    = "vsw-web"                               # VPC network (classic: legacy accounts only)

  security_group_ids = ["sg-web"] # required at creation; changing them replaces the instance

  instance_name = "web-1"
  description   = "front end"

  # In place, no stop:
  security_group_ids  = ["sg-web"] # one ModifyInstanceAttribute for the whole list
  tags                = { team = "web" }
  deletion_protection = false
  system_disk_size    = 40 # grows online; never shrinks
  # In place, taking effect at one restart (RebootInstance) or inside the stop below:
  host_name = "web-1"
  key_name  = "web-key" # Linux images only
  # password = var.password (sensitive; 8-30 characters, three character classes)
  # In place with one stop (stop, change, start), whatever else changes with them:
  # instance_type, vswitch_id / private_ip (same zone and VPC), image_id (wipes the
  # system disk), user_data (not run again; user_data_replace_on_change = true replaces).
  system_disk_category = "cloud_essd" # replaces

  internet_charge_type       = "PayByTraffic"
  internet_max_bandwidth_out = 10  # Mbit/s, 0-100, in place without a stop
  internet_max_bandwidth_in  = 100 # Mbit/s, 1-200, in place without a stop

  instance_charge_type = "PostPaid" # PrePaid instances cannot change type or bandwidth in place

  # Unset: Running at creation, then whatever the instance is (a resize restores it).
  status = "Running"

  # false: a plan that would stop or restart this Running instance is refused.
  allow_stopping_for_update = true
  stopped_mode              = "KeepCharging"

  # Only for PrePaid: true lets a destroy or replace convert the subscription to
  # pay-as-you-go (refunding the rest) so that ECS releases it; apply it before that destroy.
  force_delete = false

  timeouts {
    create = "10m"
    update = "20m" # must outlast the 5-minute modification cooldown
    delete = "20m"
  }
}

# Types this instance can be upgraded to, with their stock.
data "ecs_instance_type_modifications" "upgrades" {
  instance_id    = ecs_instance.web.id
  operation_type = "Upgrade"
}

# Every 4-vCPU x86 type of the region.
data "ecs_instance_types" "four_cpu" {
  cpu          = 4
  architecture = "X86"
}

output "upgrade_targets" {
  value = [for t in data.ecs_instance_type_modifications.upgrades.instance_types : t.instance_type if t.status == "Available"]
}

output "four_cpu_types" {
  value = data.ecs_instance_types.four_cpu.instance_types[*].id
}
