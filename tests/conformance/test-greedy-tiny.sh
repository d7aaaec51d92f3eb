#!/usr/bin/env bash
# Greedy 32-token continuation of a tiny F32 model identical to llama.cpp's
# up to the first step where llama.cpp's top-2 margin is below the allowed
# max|Δ| (3e-2·s): past a near-tie either choice is right.  The decode
# steps run one token at a time through the KV cache and cross the window.
#
# SPDX-License-Identifier: GPL-3.0-or-later
source "$(dirname "$0")/common.sh"

"$GEN_MODEL" --shape tiny --type f32 --seed 9 -o "$work/m.gguf"
"$CONFORMANCE_DIR/greedy-compare.sh" "$work/m.gguf" 1017 3e-2 6
