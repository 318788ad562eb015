#!/usr/bin/env bash
# The end-to-end demo (`make demo`): a local ECS emulator with time scaled down, the provider
# installed the normal way (`make install` into an implied local mirror, then a plain
# `terraform init` that writes .terraform.lock.hcl), the resize example applied twice through
# real Terraform (create; then a new instance type and more bandwidth, in place), then the
# emulator's API journal and the measured downtime; last, the journal drawn as a timeline page
# (target/demo/timeline.html: open it in a browser) and saved as JSON beside it.
#
#   scripts/demo.sh                 # uses the release build (`make demo` builds it first)
#   DEMO_PROFILE=debug scripts/demo.sh
#   DEMO_TRANSITION=2s DEMO_COOLDOWN=10s KEEP_DEMO_DIR=1 scripts/demo.sh
#
# What to look for: the second plan's warning names the stop and the whole sequence; the
# journal shows one modification per call (type, then bandwidth), the type changed only while
# Stopped, the cooldown between the two spent while the instance runs; the downtime is the
# emulator's stop and start transitions and little more.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"
PROFILE="${DEMO_PROFILE:-release}"
TRANSITION="${DEMO_TRANSITION:-2s}"
COOLDOWN="${DEMO_COOLDOWN:-10s}"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

TARGET_DIR="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="${TARGET_DIR}/${PROFILE}"
if [[ ! -x "${BIN}/terraform-provider-ecs" || ! -x "${BIN}/ecs-emulator" ]]; then
    say "building (${PROFILE})"
    if [[ "${PROFILE}" == release ]]; then cargo build --release --bins; else cargo build --bins; fi
fi
TF="${ROOT}/.tools/terraform/terraform"
[[ -x "${TF}" ]] || bash scripts/install-tools.sh terraform

WORK="$(mktemp -d -t ecs-demo-XXXXXX)"
EMU_PID=""
cleanup() {
    [[ -n "${EMU_PID}" ]] && kill "${EMU_PID}" 2>/dev/null && wait "${EMU_PID}" 2>/dev/null || true
    if [[ "${KEEP_DEMO_DIR:-}" == 1 ]]; then
        echo "kept ${WORK}"
    else
        rm -rf "${WORK}"
    fi
}
trap cleanup EXIT

say "starting the ECS emulator (transitions ${TRANSITION}, modification cooldown ${COOLDOWN})"
"${BIN}/ecs-emulator" --listen 127.0.0.1:0 --transition "${TRANSITION}" --cooldown "${COOLDOWN}" \
    >"${WORK}/emulator.out" 2>"${WORK}/emulator.log" &
EMU_PID=$!
URL=""
for _ in $(seq 1 300); do
    URL="$(sed -n 's/^listening on //p' "${WORK}/emulator.out" | head -n1)"
    [[ -n "${URL}" ]] && break
    kill -0 "${EMU_PID}" 2>/dev/null || { cat "${WORK}/emulator.log" >&2; exit 1; }
    sleep 0.1
done
[[ -n "${URL}" ]] || { echo "the emulator did not start" >&2; exit 1; }
echo "emulator at ${URL}"

mkdir -p "${WORK}/tf"
cp examples/resize/main.tf "${WORK}/tf/"
# terraform.d/plugins in the working directory is one of Terraform's implied local mirrors, as
# ~/.terraform.d/plugins is (the default of `make install`); using it keeps your home untouched.
say "make install: the provider into the working directory's implied local mirror"
make -s --no-print-directory install PROVIDER_BIN="${BIN}/terraform-provider-ecs" \
    PLUGIN_DIR="${WORK}/tf/terraform.d/plugins"
# An empty CLI configuration: no dev_overrides, no mirror settings, nothing but the defaults.
: >"${WORK}/terraform.rc"

# Only what the demo sets reaches Terraform and the provider: no developer settings, no real
# cloud credentials.
for v in $(env | sed -n 's/^\(\(TF_\|ALICLOUD_\|ALIBABA_CLOUD_\)[A-Za-z0-9_]*\)=.*/\1/p'); do unset "${v}"; done
export TF_CLI_CONFIG_FILE="${WORK}/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export ALICLOUD_ACCESS_KEY=emulator-access-key ALICLOUD_SECRET_KEY=emulator-secret
export ALICLOUD_REGION=cn-hangzhou ALIBABA_CLOUD_ENDPOINT_ECS="${URL}"
export ECS_PROVIDER_POLL_MS="${ECS_PROVIDER_POLL_MS:-20}"
tf() { (cd "${WORK}/tf" && "${TF}" "$@"); }

say "terraform init: installs the provider by its source and version, and locks its checksum"
INIT_OUT="$(tf init -no-color)" || { echo "${INIT_OUT}"; exit 1; }
grep -E 'ecs-tools/ecs|lock file' <<<"${INIT_OUT}" || true
sed -n '/^provider/,/^}/p' "${WORK}/tf/.terraform.lock.hcl"

say "apply 1: create the instance (ecs.g6.large, 5 Mbit/s out)"
tf apply -auto-approve -var "modification_cooldown=${COOLDOWN}"

say "apply 2: ecs.g6.xlarge and 20 Mbit/s out, in place"
tf apply -auto-approve -var "modification_cooldown=${COOLDOWN}" \
    -var instance_type=ecs.g6.xlarge -var bandwidth_out=20

say "a third plan must show no changes"
tf plan -detailed-exitcode -var "modification_cooldown=${COOLDOWN}" \
    -var instance_type=ecs.g6.xlarge -var bandwidth_out=20 >/dev/null && echo "no changes"

say "API journal (reads left out; seconds since the first call)"
python3 - "${URL}" "${TRANSITION}" <<'PY'
import json, re, sys, urllib.request
from datetime import datetime

url, transition = sys.argv[1], sys.argv[2]
journal = json.load(urllib.request.urlopen(url + "/_emulator/journal"))

def t(s):
    return datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")

SHOWN = ("InstanceType", "InternetMaxBandwidthOut", "InternetMaxBandwidthIn", "ClientToken")
events = []
for r in journal["requests"]:
    if r["action"].startswith("Describe"):
        continue
    params = " ".join(f"{k}={r['params'][k]}" for k in SHOWN if k in r["params"])
    events.append((t(r["time"]), f"{r['action']:<27} {r['code']:<32} {params}"))
for c in journal["status_changes"]:
    events.append((t(c["time"]), f"  status {c['from'] or '(new)'} -> {c['to']}"))
events.sort(key=lambda e: e[0])
start = events[0][0]
for when, text in events:
    print(f"  +{(when - start).total_seconds():7.3f}  {text}")

def seconds(d):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)", d)
    n = float(m.group(1))
    return n / 1000 if m.group(2) == "ms" else n * 60 if m.group(2) == "m" else n

down = None
for c in journal["status_changes"]:
    if c["from"] == "Running":
        down = t(c["time"])
    elif c["to"] == "Running" and down is not None:
        measured = (t(c["time"]) - down).total_seconds()
        floor = 2 * seconds(transition)
        print(f"\nDowntime of {c['instance_id']}: {measured:.3f} s "
              f"(the emulator's stop + start transitions alone: {floor:.3f} s; "
              f"overhead {measured - floor:.3f} s)")
        down = None
PY

# The journal as a picture. It is kept in target/demo/ (the working dir goes away); the saved
# journal gives the same page later, without an emulator:
#   ecs-emulator timeline --journal target/demo/journal.json > timeline.html
OUT="${TARGET_DIR}/demo"
mkdir -p "${OUT}"
python3 - "${URL}" "${OUT}" <<'PY'
import sys, urllib.request
url, out = sys.argv[1], sys.argv[2]
for name, path in (("journal.json", "/_emulator/journal"), ("timeline.html", "/_emulator/timeline")):
    with urllib.request.urlopen(url + path) as r, open(f"{out}/{name}", "wb") as f:
        f.write(r.read())
PY
say "timeline of this demo (open it in a browser; hover a mark for the call)"
echo "${OUT}/timeline.html"
