# Adopt an existing instance without changing it: with instance_type and the
# bandwidth unset in the configuration, the first plan after the import is empty.
terraform import ecs_instance_spec.web i-bp1example
