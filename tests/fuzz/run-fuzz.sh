#!/bin/sh
# Short bounded libFuzzer run for the unit suite:
#   run-fuzz.sh FUZZER SEEDGEN [SECONDS]
# Seeds come from the test GGUF writer; new inputs go to a scratch corpus
# that is deleted afterwards. An input that crashes is kept as
# fuzz-gguf-crash-* in the directory the test was started from (reproduce
# with: FUZZER that-file).
set -eu
fuzzer=$1
seedgen=$2
seconds=${3:-20}
artifacts="$(pwd)/fuzz-gguf-"
work=$(mktemp -d "${GEMLET_TEST_TMP:-/tmp}/gemlet-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

"$seedgen" "$work/seeds"
mkdir "$work/corpus"
cd "$work"
"$fuzzer" -max_total_time="$seconds" -rss_limit_mb=1024 -malloc_limit_mb=512 \
  -timeout=10 -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts" \
  "$work/corpus" "$work/seeds"
