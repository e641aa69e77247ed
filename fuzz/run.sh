#!/usr/bin/env bash
# Coverage-guided fuzzing of scenario and sweep parsing (libFuzzer via cargo fuzz).
#   fuzz/run.sh [SECONDS_PER_TARGET]      default 600 (10 minutes per target)
# Needs cargo-fuzz (`cargo install cargo-fuzz`); on a stable toolchain it runs
# with RUSTC_BOOTSTRAP=1. The corpora in fuzz/corpus/ grow as it finds new paths;
# crashes land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
for target in scenario sweep; do
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "fuzz/corpus/$target" -- -max_total_time="$secs" -rss_limit_mb=4096 -max_len=65536
done
