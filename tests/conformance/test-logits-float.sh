#!/usr/bin/env bash
# Logits at every position for tiny F32 and F16 files, with a prompt four
# times the tiny sliding window (16) so SWA masking, KV sharing and the
# proportional RoPE all matter.  Bounds (s = RMS of llama.cpp's logits):
# RMS(Δ) <= 5e-3·s and max|Δ| <= 3e-2·s at every position.  Gemlet runs
# twice: with its SIMD kernels, and with GEMLET_REFERENCE=1, the reference
# path (dequantized rows through OpenBLAS sgemm/sgemv).
#
# SPDX-License-Identifier: GPL-3.0-or-later
source "$(dirname "$0")/common.sh"

ids=$(prompt_ids 11 64 107 1017)
status=0
for t in f32 f16; do
  "$GEN_MODEL" --shape tiny --type $t --seed 3 -o "$work/$t.gguf"
  "$LLAMA_REF" logits "$work/$t.gguf" --tokens "$ids" --all --out "$work/ref.bin" -t "$threads"
  for ref_path in 0 1; do
    if ! GEMLET_REFERENCE=$ref_path "$GEMLET_CLI" logits "$work/$t.gguf" --tokens "$ids" --all \
        --out "$work/ours.bin" -t "$threads"; then
      echo "FAIL: gemlet-cli logits failed on tiny $t (GEMLET_REFERENCE=$ref_path)"; status=1; continue
    fi
    echo "== tiny $t, 64 positions, GEMLET_REFERENCE=$ref_path"
    "$COMPARE_LOGITS" --n-vocab 1024 "$work/ours.bin" "$work/ref.bin" \
      --rms-max 5e-3 --maxabs-max 3e-2 --top1 || status=1
  done
done
exit $status
