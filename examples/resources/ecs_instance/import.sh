# An existing instance, by its ID. Configuration-only arguments (allow_stopping_for_update,
# stopped_mode, timeouts) keep their defaults; the next plan is empty when the configuration
# matches the instance.
terraform import ecs_instance.web i-bp1example0000001
