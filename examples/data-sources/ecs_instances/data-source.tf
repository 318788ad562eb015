# The running web servers of one vSwitch, found by tag and name.
data "ecs_instances" "web" {
  tags       = { team = "web" }
  status     = "Running"
  vswitch_id = "vsw-bp1example"
  name_regex = "^web-[0-9]+$"
}

output "web_private_ips" {
  value = { for i in data.ecs_instances.web.instances : i.name => i.private_ip }
}
