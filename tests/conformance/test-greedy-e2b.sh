#!/usr/bin/env bash
# Greedy 32-token continuation on the E2B shape in Google's Q4_0 QAT
# layout (compact form, 262144-token vocabulary, ~3.3 GB, generated here
# and deleted at the end), identical to llama.cpp's up to the first
# near-tie (top-2 margin < 0.05·s, the decisiveness bound of the quantized
# logits test).
#
# SPDX-License-Identifier: GPL-3.0-or-later
source "$(dirname "$0")/common.sh"

start=$(date +%s)
"$GEN_MODEL" --shape e2b --type qat --compact --seed 1 -o "$work/e2b.gguf" -t "$threads"
echo "generated in $(($(date +%s) - start)) s: $(du -h "$work/e2b.gguf" | cut -f1)"
"$CONFORMANCE_DIR/greedy-compare.sh" "$work/e2b.gguf" 262000 5e-2 6
