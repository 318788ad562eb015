# Every 4-vCPU x86 type of the provider's region, smallest first.
data "ecs_instance_types" "four_cpu" {
  cpu          = 4
  architecture = "X86"
}

output "four_cpu_types" {
  value = data.ecs_instance_types.four_cpu.instance_types[*].id
}
