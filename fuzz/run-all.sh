#!/usr/bin/env bash
# Runs every fuzz target in turn for SECONDS seconds each (default 600), one at a time,
# logging to fuzz/logs/<target>.log; a crash stops only its target (its input is in
# fuzz/artifacts/<target>/). New inputs go to the ignored fuzz/corpus-full/<target>/, the
# committed fuzz/corpus/<target>/ is only read: commit a minimised selection by hand
# (docs/RELIABILITY.md). Usage: fuzz/run-all.sh [SECONDS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-600}; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pattern json_doc compat infer codegen transform journal ccompat sigv4 aws_wire)
mkdir -p logs
for t in "${targets[@]}"; do
  echo "== $t ($secs s)"
  mkdir -p "corpus-full/$t"
  cargo +nightly fuzz run -s none "$t" "corpus-full/$t" "corpus/$t" -- -max_total_time="$secs" -max_len=16384 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 > "logs/$t.log" 2>&1
  echo "exit $? $(grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec)' "logs/$t.log" | tr '\n' ' ')"
done
