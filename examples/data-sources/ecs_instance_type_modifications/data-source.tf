# The types an existing instance can be upgraded to, and which of them are in stock.
data "ecs_instance_type_modifications" "upgrades" {
  instance_id    = ecs_instance.web.id
  operation_type = "Upgrade"
}

output "upgrade_targets" {
  value = [
    for t in data.ecs_instance_type_modifications.upgrades.instance_types :
    t.instance_type if t.status == "Available"
  ]
}
