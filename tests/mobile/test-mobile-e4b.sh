#!/usr/bin/env bash
# test-mobile-e4b.sh GEN_MODEL GEMLET_CLI — the full-size E4B mobile shape
# (shared/docs/mobile-ct-format.md §5: int2 embedding, group-wise int2
# per-layer table, int4 attention and MLP on all 42 layers, int8 per-layer
# gates, no double-wide MLP) from `gemlet-gen-model --format mobile --shape
# e4b --sparse`: codes are file holes, so it is written in seconds and
# takes no disk. Checks what `gemlet-cli info --json` reports (shape, type
# histogram, resident/on-demand bytes computed here from the dimensions),
# then loads and runs it (a few tokens; the weights are constant, only
# loading is under test) and checks the loaded model's resident bytes
# equal the estimate.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
gen=$1 cli=$2
work=$(mktemp -d "${GEMLET_TEST_TMP:-/tmp}/mobile-e4b.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$gen" --format mobile --shape e4b --sparse --seed 3 -o "$work/e4b"
"$cli" info "$work/e4b" | tee "$work/info.txt"
"$cli" info "$work/e4b" --json > "$work/info.json"

# "key":value of the first occurrence of key in the (pretty-printed) JSON
jget () { grep -m1 "\"$1\":" "$work/info.json" | sed 's/.*": *//; s/[",]//g'; }
# n_bytes of the tensor_types entry named $1
tbytes () { awk -v t="\"type\":\"$1\"," '$0 ~ t { f = 1 } f && /"n_bytes"/ { gsub(/[^0-9]/, ""); print; exit }' "$work/info.json"; }
tcount () { awk -v t="\"type\":\"$1\"," '$0 ~ t { f = 1 } f && /"n_tensors"/ { gsub(/[^0-9]/, ""); print; exit }' "$work/info.json"; }

fail=0
expect () { # what got want
  if [[ "$2" != "$3" ]]; then echo "FAIL: $1: $2, expected $3"; fail=1; else echo "ok: $1 = $2"; fi
}

expect variant "$(jget variant)" E4B
expect n_layer "$(jget n_layer)" 42
expect n_embd "$(jget n_embd)" 2560
expect n_head_kv "$(jget n_head_kv)" 2
expect n_shared_kv_layers "$(jget n_shared_kv_layers)" 18
expect n_vocab "$(jget n_vocab)" 262144

# Codes + BF16 scales from the dimensions: full attention every 6th layer
# (head 512, else 256), 8 query / 2 KV heads, K/V only on layers 0-23, MLP
# 10240 wide everywhere; embedding [262144, 2560] int2 per row; per-layer
# table [262144, 42·256] int2 with one scale per 256; gates [256, 2560] and
# [2560, 256] int8 per row.
read -r int4 int8 emb ple < <(awk 'BEGIN {
  for (il = 0; il < 42; il++) {
    D = (il % 6 == 5) ? 512 : 256
    n = split("", m)
    m[++n] = 8 * D " 2560"; m[++n] = "2560 " 8 * D
    if (il < 24) { m[++n] = 2 * D " 2560"; m[++n] = 2 * D " 2560" }
    m[++n] = "10240 2560"; m[++n] = "10240 2560"; m[++n] = "2560 10240"
    for (k = 1; k <= n; k++) { split(m[k], rc, " "); int4 += rc[1] * rc[2] / 2 + rc[1] * 2 }
    int8 += 256 * 2560 + 256 * 2 + 2560 * 256 + 2560 * 2
  }
  emb = 262144 * 2560 / 4 + 262144 * 2
  ple = 262144 * 42 * 256 / 4 + 262144 * 42 * 2
  printf "%.0f %.0f %.0f %.0f\n", int4, int8, emb, ple }')
expect "int4 tensors" "$(tcount int4)" 258
expect "int4 bytes" "$(tbytes int4)" "$int4"
expect "int8 tensors" "$(tcount int8)" 84
expect "int8 bytes" "$(tbytes int8)" "$int8"
expect "int2 embedding bytes" "$(tbytes int2)" "$emb"
expect "int2/g256 per-layer table bytes" "$(tbytes int2/g256)" "$ple"
bf16=$(tbytes bf16)
expect "weights on demand" "$(jget weights_on_demand_bytes)" "$ple"
expect "weights resident" "$(jget weights_resident_bytes)" "$((int4 + int8 + emb + bf16))"
grep -q "weights on demand" "$work/info.txt" || { echo "FAIL: no on-demand line"; fail=1; }

# loading maps and prefaults the resident part (holes read as zero pages)
"$cli" bench "$work/e4b" -p 4 -n 2 -t 2 --json > "$work/bench.json"
cat "$work/bench.json"
loaded=$(grep -o '"weights_resident_bytes": [0-9]*' "$work/bench.json" | grep -o '[0-9]*$')
expect "loaded resident bytes" "$loaded" "$(jget weights_resident_bytes)"
exit $fail
