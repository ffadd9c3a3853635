#!/usr/bin/env bash
# Measurements for reports/<date>-fuzzing.md, one fuzzer process at a time (-jobs=1):
#   - exec/s per target (libFuzzer's own figure) and RSS, from -max_total_time runs of
#     REFRACE_MEASURE_LONG seconds for resp_request and command_stream (default 600) and
#     REFRACE_MEASURE_SHORT seconds for interleaving (default 120), fixed model;
#   - time to first crash of interleaving with REFRACE_FAULT=defer-shared-free, 5 seeds,
#     starting from the committed seeds only.
# REFRACE_MEASURE_TARGETS limits the exec/s phase to some targets ("" = only the crash runs).
# Logs go to REFRACE_MEASURE_OUT (default target/fuzz-measure/); binaries come from
# REFRACE_FUZZ_BIN (default: what `cargo fuzz build -O` builds, with AddressSanitizer; for
# `-s none --target-dir T` pass T/x86_64-unknown-linux-gnu/release, relative to fuzz/).
set -euo pipefail
cd "$(dirname "$0")"
bin=${REFRACE_FUZZ_BIN:-target/x86_64-unknown-linux-gnu/release}
out=${REFRACE_MEASURE_OUT:-../target/fuzz-measure}
long=${REFRACE_MEASURE_LONG:-600}
short=${REFRACE_MEASURE_SHORT:-120}
rm -rf "$out" && mkdir -p "$out"
for t in ${REFRACE_MEASURE_TARGETS-resp_request command_stream interleaving}; do
  secs=$long; [ "$t" = interleaving ] && secs=$short
  dict=(); [ "$t" = resp_request ] && dict=(-dict=resp.dict)
  mkdir -p "$out/corpus-$t"
  "$bin/$t" "$out/corpus-$t" "seeds/$t" "${dict[@]}" -max_total_time="$secs" \
    -print_final_stats=1 -artifact_prefix="$out/crash-$t-" >"$out/$t.log" 2>&1 &
  pid=$!
  : >"$out/$t.rss"
  while kill -0 "$pid" 2>/dev/null; do
    echo "$(date +%s) $(awk '/VmRSS/{print $2}' /proc/$pid/status 2>/dev/null)" >>"$out/$t.rss"
    sleep 10
  done
  wait "$pid" || { echo "$t crashed: see $out/$t.log"; exit 1; }
done
for seed in 1 2 3 4 5; do
  rm -rf "$out/ttc" && mkdir -p "$out/ttc"
  start=$(date +%s.%N)
  if REFRACE_FAULT=defer-shared-free "$bin/interleaving" "$out/ttc" seeds/interleaving \
      -seed="$seed" -max_total_time=600 -artifact_prefix="$out/ttc/" >"$out/ttc-$seed.log" 2>&1; then
    echo "seed $seed: no crash in 600 s" | tee -a "$out/ttc.txt"
  else
    end=$(date +%s.%N)
    inv=$(grep -o 'INVARIANT [A-Z_]*' "$out/ttc-$seed.log" | head -1)
    execs=$(grep -o '^#[0-9]*' "$out/ttc-$seed.log" | tail -1)
    echo "seed $seed: $(echo "$end - $start" | bc) s, last stat line $execs, $inv" | tee -a "$out/ttc.txt"
  fi
done
