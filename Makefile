# Entry points for people and CI. Every target works on a fresh clone with only cargo, python3
# and pip present: `make tools` installs Terraform, the Go baseline provider and the Python
# venv into .tools/ (see scripts/install-tools.sh).
#
#   make demo    build, then run the end-to-end demo against the local ECS emulator
#   make test    every test: cargo unit + integration tests, then the Python SDK conformance tests
#   make bench   handshake benchmark (ours vs the Go provider) and the emulator benchmark
#   make build | tools | fmt | fmt-check | lint | clean-tools

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
# Where cargo puts binaries (honours CARGO_TARGET_DIR and .cargo/config), asked once per target.
TARGET_DIR = $(shell $(CARGO) metadata --format-version 1 --no-deps \
	| python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
VENV_PY := .tools/venv/bin/python
CONFORMANCE := tests/conformance

.PHONY: help build tools test demo bench fmt fmt-check lint clean-tools

help:
	@sed -n '1,/^$$/s/^# \{0,1\}//p' Makefile

build:
	$(CARGO) build --release

tools:
	bash scripts/install-tools.sh all

# Build everything first (`--no-run` also builds both binaries into target/debug, with the same
# dependency features as the tests, so nothing is compiled twice); then run every cargo target;
# then pytest, only when the conformance folder holds tests (pytest exits 5 on none).
test: tools
	$(CARGO) test --all-targets --no-run
	$(CARGO) test --lib --bins --tests
	ECS_EMULATOR_BIN='$(TARGET_DIR)/debug/ecs-emulator' $(VENV_PY) -m pytest $(CONFORMANCE) -q

demo: tools build
	bash scripts/demo.sh

bench: tools build
	@if [ -f scripts/bench-handshake.sh ]; then \
		echo "+ scripts/bench-handshake.sh"; bash scripts/bench-handshake.sh; \
	else echo "scripts/bench-handshake.sh not present; skipping"; fi
	@if [ -f benches/emulator.rs ]; then \
		echo "+ cargo bench --bench emulator"; $(CARGO) bench --bench emulator; \
	else echo "benches/emulator.rs not present; skipping"; fi

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --all-targets -- -D warnings

clean-tools:
	rm -rf .tools
