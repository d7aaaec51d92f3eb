#!/usr/bin/env bash
# The E2B-shaped mobile checkpoint (int2 embedding/head and shared-layer
# MLPs, int4 attention and other MLPs, group-wise int4 per-layer table,
# int8 per-layer gates; ~2 GB) and its Q4_0/Q8_0 block twin (every row
# exact: d = the row's scale; ~2.6 GB), generated and deleted. llama.cpp on
# the twin rounds activations to Q8_0, so this is the quantized tier:
# Gemlet --weight-only on the folder, 16 positions, cosine >= 0.995 and
# top-1 where llama.cpp's margin > 0.05·s; greedy tokens identical up to
# the first near-tie (< 5e-2·s). Static/dynamic int8 activations reported.
#
# SPDX-License-Identifier: GPL-3.0-or-later
source "$(dirname "$0")/common.sh"

start=$(date +%s)
"$GEN_MODEL" --format mobile --shape e2b --type blocks --seed 1 -o "$work/mobile" \
  --twin "$work/twin.gguf"
echo "generated in $(($(date +%s) - start)) s"
ids=$(prompt_ids 11 16 107 262000)
status=0

"$LLAMA_REF" logits "$work/twin.gguf" --tokens "$ids" --all --out "$work/ref.bin" -t "$threads"
"$GEMLET_CLI" logits "$work/mobile" --weight-only --tokens "$ids" --all --out "$work/ours.bin" \
  -t "$threads"
echo "== E2B mobile weight-only vs llama.cpp on the block twin, 16 positions"
"$COMPARE_LOGITS" --n-vocab 262144 "$work/ours.bin" "$work/ref.bin" --cos-min 0.995 --top1 \
  || status=1

echo "== greedy, weight-only"
GREEDY_OURS_MODEL="$work/mobile" GREEDY_OURS_ARGS="--weight-only" \
  "$CONFORMANCE_DIR/greedy-compare.sh" "$work/twin.gguf" 262000 5e-2 3 || status=1

echo "== int8 activations (static scales + dynamic elsewhere; report only)"
"$GEMLET_CLI" logits "$work/mobile" --tokens "$ids" --all --out "$work/int8.bin" -t "$threads"
"$COMPARE_LOGITS" --n-vocab 262144 "$work/int8.bin" "$work/ref.bin" --top1 | tail -n 3 \
  | sed 's/(FAIL)/(differs)/' || true
exit $status
