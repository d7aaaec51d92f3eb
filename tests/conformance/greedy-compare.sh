#!/usr/bin/env bash
# greedy-compare.sh MODEL HI FRAC N_PROMPTS — shared by the greedy tests.
#
# Tries N_PROMPTS fixed prompts (24 ids below HI) with llama.cpp and keeps
# the one whose greedy run goes longest before a near-tie (top-2 margin <
# FRAC·s), then checks that gemlet-cli generates the same 32 tokens up to
# that step.
#
# SPDX-License-Identifier: GPL-3.0-or-later
source "$(dirname "$0")/common.sh"

model=$1 hi=$2 frac=$3 n_prompts=$4
n=32 best=-1 best_seed=0
for ((seed = 1; seed <= n_prompts; seed++)); do
  ids=$(prompt_ids $((seed * 7919)) 24 107 "$hi")
  "$LLAMA_REF" generate "$model" --tokens "$ids" -n $n --margins "$work/m$seed" -t "$threads" > "$work/ref$seed"
  k=$(first_near_tie "$work/m$seed" "$frac")
  echo "prompt $seed: decisive for $k steps"
  if ((k > best)); then best=$k best_seed=$seed; fi
done

ids=$(prompt_ids $((best_seed * 7919)) 24 107 "$hi")
read -r -a ref < "$work/ref$best_seed"
echo "prompt:    $ids"
echo "llama.cpp: ${ref[*]}"
echo "margins/s: $(awk '{ printf "%.3f ", $3 / $4 }' "$work/m$best_seed")"

start=$(date +%s)
if ! out=$("$GEMLET_CLI" generate "$model" --tokens "$ids" -n $n --greedy --print-ids -t "$threads" 2>"$work/err"); then
  echo "FAIL: gemlet-cli generate failed:"; cat "$work/err"; exit 1
fi
read -r -a ours <<<"$(ids_of "$out")"
# tolerate an echo of the prompt in front of the continuation
read -r -a prompt <<<"$ids"
if ((${#ours[@]} > ${#prompt[@]})) && [[ "${ours[*]:0:${#prompt[@]}}" == "${prompt[*]}" ]]; then
  ours=("${ours[@]:${#prompt[@]}}")
fi
echo "gemlet:    ${ours[*]}   ($(($(date +%s) - start)) s)"

limit=$best
((limit > ${#ref[@]})) && limit=${#ref[@]}
if ((limit == 0)); then
  echo "FAIL: no decisive step in any prompt; nothing to compare"; exit 1
fi
for ((i = 0; i < limit; i++)); do
  if [[ "${ours[$i]:-none}" != "${ref[$i]}" ]]; then
    echo "FAIL: step $i: gemlet ${ours[$i]:-none}, llama.cpp ${ref[$i]} (margin decisive up to step $best)"
    exit 1
  fi
done
echo "ok: $limit greedy steps identical (first near-tie at step $best of $n)"
