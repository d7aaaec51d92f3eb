#!/usr/bin/env bash
# Quantized tiny files (BF16, Q8_0, Q4_0, Q6_K and the QAT mix): at every
# position cosine >= 0.995 against llama.cpp and the same top-1 wherever
# llama.cpp's top-2 margin > 0.05·s; and ours no less accurate than
# llama.cpp, both measured against our F32 path on the F32 twin holding
# exactly the dequantized weights.
#
# SPDX-License-Identifier: GPL-3.0-or-later
source "$(dirname "$0")/common.sh"

ids=$(prompt_ids 13 64 107 1017)
status=0
for t in bf16 q8_0 q4_0 q6_k qat; do
  "$GEN_MODEL" --shape tiny --type $t --seed 5 -o "$work/$t.gguf" 2>/dev/null
  "$GEN_MODEL" --dequant-copy-of "$work/$t.gguf" -o "$work/twin.gguf"
  "$LLAMA_REF" logits "$work/$t.gguf" --tokens "$ids" --all --out "$work/ref.bin" -t "$threads"
  if ! "$GEMLET_CLI" logits "$work/$t.gguf" --tokens "$ids" --all --out "$work/ours.bin" -t "$threads" \
     || ! "$GEMLET_CLI" logits "$work/twin.gguf" --tokens "$ids" --all --out "$work/exact.bin" -t "$threads"; then
    echo "FAIL: gemlet-cli logits failed on tiny $t"; status=1; continue
  fi
  echo "== tiny $t, 64 positions"
  "$COMPARE_LOGITS" --n-vocab 1024 "$work/ours.bin" "$work/ref.bin" --quiet \
    --cos-min 0.995 --top1 --top1-margin 0.05 --exact "$work/exact.bin" || status=1
done
exit $status
