#!/usr/bin/env bash
# Drift check for CI: has anything changed outside Terraform, or does the configuration no
# longer match what runs? Prints a short summary of what differs and exits
#
#   0  no drift: the instances are as the state says and as the configuration wants
#   2  drift: the summary lists each resource and attribute, before -> after
#   1  error (a broken configuration, no credentials, an unreachable API, ...)
#
# Usage: examples/ci/drift-check.sh [WORKING_DIR] [-- EXTRA PLAN ARGS, e.g. -var-file=prod.tfvars]
#
# It runs two plans in an initialised working directory (run `terraform init` first) and reads
# their saved plan files with `terraform show -json`:
#   1. `terraform plan -refresh-only`: what changed out of band (state vs the real instances);
#   2. `terraform plan`: what an apply would change to match the configuration.
# Both use -detailed-exitcode; the summary comes from the plans' JSON, so it reads the same on
# every Terraform and OpenTofu version. Nothing is applied and the state is not written.
#
# Environment: TERRAFORM (default `terraform`; `tofu` works too), plus whatever the provider
# needs (ALICLOUD_ACCESS_KEY, ALICLOUD_SECRET_KEY, ALICLOUD_REGION, ...). Needs python3.
set -uo pipefail

TERRAFORM="${TERRAFORM:-terraform}"
DIR="."
if [[ $# -gt 0 && "$1" != "--" ]]; then
    DIR="$1"
    shift
fi
[[ "${1:-}" == "--" ]] && shift
EXTRA=("$@")

fail() {
    echo "drift-check: $*" >&2
    exit 1
}

cd "${DIR}" || fail "no such directory: ${DIR}"
command -v "${TERRAFORM}" >/dev/null 2>&1 || fail "${TERRAFORM} not found (set TERRAFORM)"
command -v python3 >/dev/null 2>&1 || fail "python3 not found"
WORK="$(mktemp -d)" || fail "cannot create a temporary directory"
trap 'rm -rf "${WORK}"' EXIT

# plan NAME ARGS...: a saved plan in WORK/NAME.tfplan, its JSON in WORK/NAME.json.
# Returns plan's detailed exit code: 0 no changes, 2 changes, anything else an error.
plan() {
    local name="$1" code
    shift
    "${TERRAFORM}" plan -input=false -no-color -detailed-exitcode \
        -out="${WORK}/${name}.tfplan" "$@" "${EXTRA[@]+"${EXTRA[@]}"}" >"${WORK}/${name}.log" 2>&1
    code=$?
    if [[ ${code} -ne 0 && ${code} -ne 2 ]]; then
        cat "${WORK}/${name}.log" >&2
        fail "terraform plan $* failed (exit ${code})"
    fi
    "${TERRAFORM}" show -json -no-color "${WORK}/${name}.tfplan" >"${WORK}/${name}.json" 2>"${WORK}/${name}.show.log" || {
        cat "${WORK}/${name}.show.log" >&2
        fail "terraform show -json of the ${name} plan failed"
    }
}

plan refresh -refresh-only
plan changes

python3 - "${WORK}/refresh.json" "${WORK}/changes.json" <<'PY'
"""Summarises two JSON plans; exits 2 when either shows a difference, else 0."""
import json
import sys


def flatten(value, prefix=""):
    """{"a": {"b": 1}, "c": [2]} -> {"a.b": 1, "c[0]": 2}; empty containers stay whole."""
    out = {}
    if isinstance(value, dict) and value:
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else k))
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = value
    return out


def show(value):
    return json.dumps(value) if value is not None else "null"


def differences(change):
    """(attribute, before, after) for every attribute the change alters."""
    before, after = change.get("before") or {}, change.get("after") or {}
    unknown = flatten(change.get("after_unknown") or {})
    b, a = flatten(before), flatten(after)
    rows = []
    for attr in sorted(set(b) | set(a)):
        if unknown.get(attr) is True:
            rows.append((attr, show(b.get(attr)), "(known after apply)"))
        elif b.get(attr) != a.get(attr):
            rows.append((attr, show(b.get(attr)), show(a.get(attr))))
    return rows


def whole(change, address, deleted):
    """What happened to a resource created or deleted as a whole, or None."""
    actions = change.get("actions", [])
    if actions == ["delete"] and change.get("after") is None:
        if address in deleted:
            return "deleted outside Terraform"
        return "the plan destroys it (no longer in the configuration)"
    if actions == ["create"] and change.get("before") is None:
        if address in deleted:
            return "deleted outside Terraform; the plan creates it again"
        return "not created yet; the plan creates it"
    return None


def report(title, entries, deleted=()):
    if not entries:
        return False
    print(title)
    for entry in entries:
        change = entry.get("change", {})
        address = entry.get("address")
        gone = whole(change, address, deleted)
        if gone is not None:
            print(f"  {address}: {gone}")
            continue
        actions = "/".join(change.get("actions", []))
        print(f"  {address} ({actions})")
        rows = differences(change)
        for attr, before, after in rows:
            print(f"    {attr}: {before} -> {after}")
        if not rows:
            print("    (the whole resource)")
    return True


def changed(entries):
    return [e for e in entries or [] if e.get("change", {}).get("actions") not in (["no-op"], ["read"])]


refresh = json.load(open(sys.argv[1]))
changes = json.load(open(sys.argv[2]))
# Terraform lists out-of-band changes under resource_drift (older versions: under
# resource_changes of the refresh-only plan).
drift = changed(refresh.get("resource_drift")) or changed(refresh.get("resource_changes"))
planned = changed(changes.get("resource_changes"))
# Resources the refresh found gone: deleted outside Terraform.
deleted = {e.get("address") for e in drift
           if e.get("change", {}).get("actions") == ["delete"]}
found = report("Changed outside Terraform (state -> real):", drift, deleted)
found = report("An apply would change (real -> configuration):", planned, deleted) or found
outputs = {k: v for k, v in (changes.get("output_changes") or {}).items()
           if v.get("actions") not in (["no-op"],)}
if outputs:
    found = True
    print("Outputs an apply would change: " + ", ".join(sorted(outputs)))
if not found:
    print("No drift: the real instances match the state and the configuration.")
sys.exit(2 if found else 0)
PY
