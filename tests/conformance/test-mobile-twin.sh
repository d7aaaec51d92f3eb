#!/usr/bin/env bash
# A tiny mobile (compressed-tensors) checkpoint and its F32 GGUF twin holding
# exactly the same weights (code × scale), both from gemlet-gen-model
# --format mobile. llama.cpp runs the twin, Gemlet the mobile folder:
#  - weight-only mode (float activations): F32-tier logits at all 64
#    positions (RMS(Δ) <= 5e-3·s, max|Δ| <= 3e-2·s) and greedy tokens
#    identical up to the first near-tie (< 3e-2·s);
#  - static int8 activations (the checkpoint's scales): reported only, as
#    the twin has no activation quantization to compare with.
#
# SPDX-License-Identifier: GPL-3.0-or-later
source "$(dirname "$0")/common.sh"

"$GEN_MODEL" --format mobile --shape tiny --seed 3 -o "$work/mobile" --twin "$work/twin.gguf"
ids=$(prompt_ids 11 64 107 1017)
status=0

"$LLAMA_REF" logits "$work/twin.gguf" --tokens "$ids" --all --out "$work/ref.bin" -t "$threads"
if ! "$GEMLET_CLI" logits "$work/mobile" --weight-only --tokens "$ids" --all --out "$work/ours.bin" \
       -t "$threads"; then
  echo "FAIL: gemlet-cli logits --weight-only failed on the mobile checkpoint"; exit 1
fi
echo "== mobile weight-only vs llama.cpp on the F32 twin, 64 positions"
"$COMPARE_LOGITS" --n-vocab 1024 "$work/ours.bin" "$work/ref.bin" \
  --rms-max 5e-3 --maxabs-max 3e-2 --top1 || status=1

echo "== greedy, weight-only"
GREEDY_OURS_MODEL="$work/mobile" GREEDY_OURS_ARGS="--weight-only" \
  "$CONFORMANCE_DIR/greedy-compare.sh" "$work/twin.gguf" 1017 3e-2 6 || status=1

echo "== static int8 activations (report only)"
if "$GEMLET_CLI" logits "$work/mobile" --tokens "$ids" --all --out "$work/static.bin" -t "$threads"; then
  "$COMPARE_LOGITS" --n-vocab 1024 "$work/static.bin" "$work/ref.bin" --top1 | tail -n 3 \
    | sed 's/(FAIL)/(differs)/' || true
else
  echo "FAIL: gemlet-cli logits failed with static activations"; status=1
fi
gids=$(prompt_ids 7919 24 107 1017)
"$LLAMA_REF" generate "$work/twin.gguf" --tokens "$gids" -n 32 -t "$threads" > "$work/gref"
if out=$("$GEMLET_CLI" generate "$work/mobile" --tokens "$gids" -n 32 --greedy --print-ids \
           -t "$threads" 2>"$work/err"); then
  read -r -a ref < "$work/gref"
  read -r -a ours <<<"$(ids_of "$out")"
  read -r -a prompt <<<"$gids"
  if ((${#ours[@]} > ${#prompt[@]})) && [[ "${ours[*]:0:${#prompt[@]}}" == "${prompt[*]}" ]]; then
    ours=("${ours[@]:${#prompt[@]}}")
  fi
  same=0 lead=0 lead_done=0
  for ((i = 0; i < ${#ref[@]}; i++)); do
    if [[ "${ours[$i]:-none}" == "${ref[$i]}" ]]; then
      same=$((same + 1)); ((lead_done)) || lead=$((lead + 1))
    else
      lead_done=1
    fi
  done
  echo "static: greedy tokens equal to the F32 twin's at $same of ${#ref[@]} steps," \
       "identical prefix $lead steps"
else
  echo "FAIL: gemlet-cli generate failed with static activations:"; cat "$work/err"; status=1
fi
exit $status
