#!/usr/bin/env bash
# greedy-compare.sh MODEL HI FRAC N_PROMPTS — shared by the greedy tests.
#
# Runs llama.cpp greedily on N_PROMPTS fixed prompts (24 ids below HI),
# each until its first near-tie (top-2 margin < FRAC·s, s = that step's
# logits RMS; past it either choice is right) or 32 tokens, keeps the
# prompt with the longest decisive run, and checks that gemlet-cli
# generates the same tokens for all those steps.
#
# GREEDY_OURS_MODEL / GREEDY_OURS_ARGS (optional): what gemlet-cli runs
# instead of MODEL, and extra options (test-mobile-twin.sh: the mobile
# checkpoint whose F32 twin llama.cpp runs, with --weight-only).
#
# SPDX-License-Identifier: GPL-3.0-or-later
source "$(dirname "$0")/common.sh"

model=$1 hi=$2 frac=$3 n_prompts=$4
ours_model=${GREEDY_OURS_MODEL:-$model}
read -r -a ours_args <<<"${GREEDY_OURS_ARGS:-}"
n=32 best=-1 best_seed=0
for ((seed = 1; seed <= n_prompts && best < n; seed++)); do
  ids=$(prompt_ids $((seed * 7919)) 24 107 "$hi")
  start=$(date +%s)
  "$LLAMA_REF" generate "$model" --tokens "$ids" -n $n --margins "$work/m$seed" --stop-below "$frac" \
    -t "$threads" > "$work/ref$seed"
  k=$(first_near_tie "$work/m$seed" "$frac")
  echo "prompt $seed: decisive for $k steps ($(($(date +%s) - start)) s)"
  if ((k > best)); then best=$k best_seed=$seed; fi
done

ids=$(prompt_ids $((best_seed * 7919)) 24 107 "$hi")
read -r -a ref < "$work/ref$best_seed"
echo "prompt:    $ids"
echo "llama.cpp: ${ref[*]}"
echo "margins/s: $(awk '{ printf "%.3f ", $3 / $4 }' "$work/m$best_seed")"

limit=$best
((limit > ${#ref[@]})) && limit=${#ref[@]}
if ((limit == 0)); then
  echo "FAIL: no decisive step in any prompt; nothing to compare"; exit 1
fi

start=$(date +%s)
if ! out=$("$GEMLET_CLI" generate "$ours_model" ${ours_args[@]+"${ours_args[@]}"} --tokens "$ids" -n "$limit" --greedy --print-ids -t "$threads" 2>"$work/err"); then
  echo "FAIL: gemlet-cli generate failed:"; cat "$work/err"; exit 1
fi
read -r -a ours <<<"$(ids_of "$out")"
# tolerate an echo of the prompt in front of the continuation
read -r -a prompt <<<"$ids"
if ((${#ours[@]} > ${#prompt[@]})) && [[ "${ours[*]:0:${#prompt[@]}}" == "${prompt[*]}" ]]; then
  ours=("${ours[@]:${#prompt[@]}}")
fi
echo "gemlet:    ${ours[*]}   ($(($(date +%s) - start)) s)"

for ((i = 0; i < limit; i++)); do
  if [[ "${ours[$i]:-none}" != "${ref[$i]}" ]]; then
    echo "FAIL: step $i: gemlet ${ours[$i]:-none}, llama.cpp ${ref[$i]} (decisive up to step $best)"
    exit 1
  fi
done
echo "ok: $limit greedy steps identical (first near-tie at step $best of $n)"
