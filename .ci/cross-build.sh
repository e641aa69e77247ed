#!/usr/bin/env bash
# Determinism across builds: the binary `cargo test` built (baseline x86-64,
# SSE2) and one built for x86-64-v3 (AVX2, FMA available to the compiler) must
# write byte-identical CSV files for every bundled scenario. Rust never fuses
# a multiply and an add on its own, and every transcendental function and
# sampler is powerdyn's own (src/fastmath.rs, src/portable.rs), so wider
# vectors may change speed, not results. The bench population (log-normal
# starting resources) is compared too. Skipped (loudly) on a CPU without AVX2.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! grep -qw avx2 /proc/cpuinfo; then
  echo "WARNING: no AVX2 on this CPU; the cross-build determinism check is skipped" >&2
  exit 0
fi
base=target/debug/powerdyn
[ -x "$base" ] || cargo build --profile test --bin powerdyn
RUSTFLAGS="-C target-cpu=x86-64-v3" CARGO_TARGET_DIR=target/v3 \
  cargo build --profile test --bin powerdyn -q
wide=target/v3/debug/powerdyn

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for f in scenarios/*.toml; do
  n=$(basename "$f" .toml)
  "$base" run "$f" -q -o "$out/a/$n"
  "$wide" run "$f" -q -o "$out/b/$n"
done
"$base" bench --agents 20000 --degree 8 --steps 20 --record-every 1 --out "$out/a/bench" >/dev/null
"$wide" bench --agents 20000 --degree 8 --steps 20 --record-every 1 --out "$out/b/bench" >/dev/null
count=0
for a in "$out"/a/*/*.csv; do
  b="$out/b/${a#"$out"/a/}"
  cmp "$a" "$b"
  count=$((count + 1))
done
echo "cross-build determinism: $count CSV files byte-identical (x86-64 and x86-64-v3 builds)"
