#!/bin/bash -eu
# Builds the cargo-fuzz targets for OSS-Fuzz / ClusterFuzzLite (their `compile` runs this with
# $SRC, $OUT and the sanitizer flags set) and locally:
#   OUT=/tmp/out SRC=/path/to/parent-of-checkout .clusterfuzzlite/build.sh
# On a stable toolchain, RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass -Zsanitizer.
# Each target gets its binary, a seed corpus zip and, for resp_request, the RESP dictionary.
cd "$SRC/refrace/fuzz"
export RUSTC_BOOTSTRAP=${RUSTC_BOOTSTRAP:-1}
cargo fuzz build -O
bin=target/x86_64-unknown-linux-gnu/release
for t in resp_request command_stream interleaving; do
  cp "$bin/$t" "$OUT/"
  rm -f "$OUT/${t}_seed_corpus.zip"
  (cd "seeds/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
done
cp resp.dict "$OUT/resp_request.dict"
printf '[libfuzzer]\ndict = resp_request.dict\n' > "$OUT/resp_request.options"
