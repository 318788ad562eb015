#!/usr/bin/env bash
# Handshake latency and memory of this provider against a Go provider
# (terraform-provider-lxd v1.5.0), measured side by side in one run.
# See benches/handshake/main.rs. Called by `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."

go_provider=.tools/lxd/terraform-provider-lxd_v1.5.0
if [ -z "${BENCH_GO_PROVIDER:-}" ] && [ ! -x "$go_provider" ]; then
  scripts/install-tools.sh lxd
fi
# A release build: `cargo bench` uses the optimised bench profile.
exec cargo bench --bench handshake "$@"
