#!/usr/bin/env bash
# Placeholder: the end-to-end demo (emulator + Terraform + this provider) is written later.
set -euo pipefail
echo "demo not written yet" >&2
exit 1
