#!/usr/bin/env bash
# test-mobile-model.sh GEN_MODEL GEMLET_CLI COMPARE_LOGITS CORPUS API — a tiny
# mobile checkpoint and its F32 twin from gemlet-gen-model, both run by
# Gemlet (no llama.cpp needed): weight-only logits of the folder match the
# twin's at F32 tolerances, the tokenizer read from tokenizer.json matches
# the twin's GGUF vocabulary on the tokenizer corpus, info/loading accept
# the folder and any file in it, static activation mode runs, and the
# public API checks of test-mobile-api.c (API) pass.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
gen=$1 cli=$2 cmp=$3 corpus=$4 api=$5
work=$(mktemp -d "${GEMLET_TEST_TMP:-/tmp}/mobile-model.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$gen" --format mobile --shape tiny --seed 5 -o "$work/m" --twin "$work/twin.gguf" -t 1
ids="2 942 941 580 834 243 723 838 981 388 467 308 490 279 781 415 984 580 905 550 739 405 778 325"

"$cli" logits "$work/m" --weight-only --tokens "$ids" --all --out "$work/ours.bin" -t 2
"$cli" logits "$work/twin.gguf" --tokens "$ids" --all --out "$work/twin.bin" -t 2
"$cmp" --n-vocab 1024 "$work/ours.bin" "$work/twin.bin" --rms-max 5e-3 --maxabs-max 3e-2 --top1 | tail -n 3

# any file of the folder opens the checkpoint
"$cli" logits "$work/m/model.safetensors" --weight-only --tokens "$ids" --out "$work/one.bin" -t 1
"$cli" logits "$work/m/config.json" --tokens "$ids" --out "$work/static.bin" -t 1

for m in "$work/m" "$work/twin.gguf"; do
  "$cli" tokenize "$m" --file "$corpus" > "$work/tok-$(basename "$m")"
done
cmp "$work/tok-m" "$work/tok-twin.gguf"

"$cli" info "$work/m" | tee "$work/info"
grep -q "mobile (compressed-tensors)" "$work/info"
grep -q "weights on demand" "$work/info"
"$cli" info --json "$work/m" > /dev/null 2>&1 || "$cli" info "$work/m" --json > /dev/null

# a lone file names what else the folder needs
mkdir "$work/lone"
cp "$work/m/model.safetensors" "$work/lone/"
if "$cli" info "$work/lone/model.safetensors" 2> "$work/err"; then
  echo "FAIL: a lone model.safetensors was accepted"; exit 1
fi
grep -q "config.json" "$work/err"
cat "$work/err"

"$cli" generate "$work/m" --tokens "$ids" -n 8 --greedy --print-ids -t 2 --weight-only
"$api" "$work/m" "$work/twin.gguf"
echo ok
