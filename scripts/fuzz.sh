#!/usr/bin/env bash
# Long fuzz runs of the cargo-fuzz targets in fuzz/ (libFuzzer; needs a nightly toolchain,
# which `make test` never does: its stable smoke is tests/fuzz_smoke.rs and
# tests/protocol_values.rs).
#
#   scripts/fuzz.sh                      # every target, 60 s each
#   FUZZ_SECONDS=3600 scripts/fuzz.sh ecs_answer
#
# Targets: decode_value (msgpack/JSON DynamicValue decoders), emulator_request (the
# emulator's request parsing and signature verification), ecs_answer (the client's answer
# parsing). The corpus starts from fuzz/seeds/<target>/ and, for ecs_answer, the documented
# answers in tests/fixtures/ecs/; it grows in fuzz/corpus/ (git-ignored). A crash leaves
# its input in fuzz/artifacts/<target>/; replay it with
# `cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>`.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${FUZZ_SECONDS:-60}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode_value emulator_request ecs_answer)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

for target in "${targets[@]}"; do
  corpus="corpus/$target"
  mkdir -p "$corpus"
  if [ -d "seeds/$target" ]; then cp -n seeds/"$target"/* "$corpus"/ 2>/dev/null || true; fi
  if [ "$target" = ecs_answer ]; then
    for f in ../tests/fixtures/ecs/*; do
      name="$(basename "$f")"
      case "$name" in error_*) status='\x01\x90' ;; *) status='\x00\xc8' ;; esac  # 400 / 200
      { printf "$status"; cat "$f"; } > "$corpus/fixture_$name"
    done
  fi
  echo "+ fuzzing $target for ${seconds}s"
  cargo +nightly fuzz run "$target" "$corpus" -- -max_total_time="$seconds"
done
