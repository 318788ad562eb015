# Entry points for people and CI. Every target works on a fresh clone with only cargo, python3
# and pip present: `make tools` installs Terraform, the Go baseline provider and the Python
# venv into .tools/ (see scripts/install-tools.sh).
#
#   make demo    build, then run the end-to-end demo against the local ECS emulator
#   make test    every test: cargo unit + integration tests, then the Python SDK conformance tests
#   make bench   one table of speed goals (handshake vs a Go provider, downtime, plan of 1000,
#                fleet resizes under throttling) -> docs/benchmarks.md; the emulator benchmark
#   make install into Terraform's implied local mirror, so a plain `terraform init` finds it
#                (PLUGIN_DIR=~/.terraform.d/plugins, SOURCE=registry.terraform.io/ecs-tools/ecs)
#   make release registry artifacts in dist/: zip, SHA256SUMS, manifest; GPG_KEY_ID=... signs;
#                TARGETS="aarch64-unknown-linux-gnu ..." cross-builds more platforms
#   make mirror  dist/mirror: filesystem mirror (packed) + network mirror index.json, VERSION.json
#   make docs    regenerate docs/ (registry docs) from the schema and templates/
#   make build | tools | fmt | fmt-check | lint | clean-tools
#   (install, release and mirror package PROVIDER_BIN=path instead of a fresh release build)

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
# Where cargo puts binaries (honours CARGO_TARGET_DIR and .cargo/config), asked once per target.
TARGET_DIR = $(shell $(CARGO) metadata --format-version 1 --no-deps \
	| python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
VENV_PY := .tools/venv/bin/python
CONFORMANCE := tests/conformance

# Packaging (scripts/dist.py): the provider's source address, and where its files go.
SOURCE ?= registry.terraform.io/ecs-tools/ecs
PLUGIN_DIR ?= $(HOME)/.terraform.d/plugins
DIST ?= dist
MIRROR_DIR ?= $(DIST)/mirror
GPG_KEY_ID ?=
PROVIDER_BIN ?=
TARGETS ?=
DIST_PY := python3 scripts/dist.py
HOST_BIN = $(or $(PROVIDER_BIN),$(TARGET_DIR)/release/terraform-provider-ecs)
# --binary BIN=OS_ARCH per cross target (Windows binaries end in .exe).
CROSS_BINS = $(foreach t,$(TARGETS),--binary \
	'$(TARGET_DIR)/$(t)/release/terraform-provider-ecs$(if $(findstring windows,$(t)),.exe)=$(shell $(DIST_PY) platform $(t))')

.PHONY: help build tools test demo bench fmt fmt-check lint clean-tools
.PHONY: provider-bin install release mirror docs

help:
	@sed -n '1,/^$$/s/^# \{0,1\}//p' Makefile

build:
	$(CARGO) build --release

tools:
	bash scripts/install-tools.sh all

# The binaries to package: the release build for this machine (unless PROVIDER_BIN names one),
# plus one per cross target (`rustup target add TRIPLE` and a linker for it are up to you).
provider-bin:
ifeq ($(PROVIDER_BIN),)
	$(CARGO) build --release --bin terraform-provider-ecs
endif
	$(foreach t,$(TARGETS),$(CARGO) build --release --target $(t) --bin terraform-provider-ecs &&) true

install: provider-bin
	$(DIST_PY) install --binary '$(HOST_BIN)' --plugin-dir '$(PLUGIN_DIR)' --source '$(SOURCE)'

release: provider-bin
	$(DIST_PY) release --binary '$(HOST_BIN)' $(CROSS_BINS) --dist '$(DIST)' --gpg-key '$(GPG_KEY_ID)'

mirror: provider-bin
	$(DIST_PY) mirror --binary '$(HOST_BIN)' $(CROSS_BINS) --out '$(MIRROR_DIR)' --source '$(SOURCE)'

# Writes docs/ from the schema's descriptions and templates/; `cargo test --test docs` fails
# while the committed docs differ from what this writes.
docs:
	UPDATE_DOCS=1 $(CARGO) test --test docs

# Build everything first (`--no-run` also builds both binaries into target/debug, with the same
# dependency features as the tests, so nothing is compiled twice); then run every cargo target;
# then pytest, only when the conformance folder holds tests (pytest exits 5 on none).
test: tools
	$(CARGO) test --all-targets --no-run
	$(CARGO) test --lib --bins --tests
	ECS_EMULATOR_BIN='$(TARGET_DIR)/debug/ecs-emulator' $(VENV_PY) -m pytest $(CONFORMANCE) -q

demo: tools build
	bash scripts/demo.sh

# The handshake bench leaves its ratios in target/bench-handshake.json (its own verdict does not
# stop the run); the fleet bench then prints the one table of goals and writes docs/benchmarks.md.
bench: tools build
	@if [ -f scripts/bench-handshake.sh ]; then \
		echo "+ scripts/bench-handshake.sh"; bash scripts/bench-handshake.sh || true; \
	else echo "scripts/bench-handshake.sh not present; skipping"; fi
	@if [ -f benches/emulator.rs ]; then \
		echo "+ cargo bench --bench emulator"; $(CARGO) bench --bench emulator; \
	else echo "benches/emulator.rs not present; skipping"; fi
	@echo "+ cargo bench --bench fleet"; $(CARGO) bench --bench fleet

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --all-targets -- -D warnings

clean-tools:
	rm -rf .tools
