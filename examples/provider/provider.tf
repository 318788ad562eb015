# The provider block. Every setting can come from the environment instead:
#   ALICLOUD_REGION, ALICLOUD_ACCESS_KEY, ALICLOUD_SECRET_KEY, ALICLOUD_SECURITY_TOKEN,
#   ALIBABA_CLOUD_ENDPOINT_ECS (e.g. http://127.0.0.1:8080 for the local ecs-emulator),
#   ECS_MODIFICATION_COOLDOWN (the emulator's --cooldown).
# HTTPS endpoints are verified against the system's CA store; SSL_CERT_FILE=/path/ca.pem
# replaces it (e.g. with the CA that `ecs-emulator --tls` writes, or a corporate proxy's).
terraform {
  required_providers {
    ecs = {
      source  = "registry.terraform.io/ecs-tools/ecs"
      version = "~> 0.1"
    }
  }
}

provider "ecs" {
  region = "cn-hangzhou"

  # The API refuses a second modification of an instance within five minutes of the
  # previous one; the provider waits it out (while the instance runs). Unset, it is
  # ECS_MODIFICATION_COOLDOWN if set (an emulator's --cooldown), else "5m". Set here, it
  # wins over the environment.
  # modification_cooldown = "5m"

  # Client-side rate limit shared by every operation of this provider.
  max_requests_per_second = 20
}
