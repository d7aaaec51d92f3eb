# common.sh — sourced by the conformance tests (run through `meson test`,
# which sets the tool paths).  Big files live in a private directory under
# $GEMLET_TEST_TMP (or /tmp) that is removed on exit.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

for var in GEN_MODEL LLAMA_REF GEMLET_CLI COMPARE_LOGITS LLAMA_DIR CONFORMANCE_DIR; do
  if [[ -z ${!var:-} ]]; then
    echo "$var is not set: run this through 'meson test --suite conformance'" >&2
    exit 1
  fi
done

# The reference is llama.cpp's AVX2 ("haswell") CPU backend. On an AVX-512
# machine llama.cpp would pick its zen4/icelake build, whose F32/F16/BF16 dot
# products sum in 16 lanes; that changes the last bits of a few activations,
# and the 8-bit activation rounding of quantized layers then amplifies those
# bits into visible logit noise that no engine could match. Gemlet's quantized
# dot products are bit-identical to the haswell build, so pinning it leaves
# only real differences to find. (GEMLET_LLAMA_CPU_VARIANT overrides.)
export GEMLET_LLAMA_CPU_VARIANT=${GEMLET_LLAMA_CPU_VARIANT:-haswell}

work=$(mktemp -d "${GEMLET_TEST_TMP:-/tmp}/conformance.XXXXXX")
trap 'rm -rf "$work"' EXIT
threads=${GEMLET_TEST_THREADS:-2}

# prompt_ids SEED N LO HI: "2 id id ..." — BOS then N-1 ids in [LO, HI),
# from a fixed LCG so every machine uses the same prompt.
prompt_ids () {
  local x=$1 n=$2 lo=$3 hi=$4 out=2 i
  for ((i = 1; i < n; i++)); do
    x=$(((x * 1103515245 + 12345) % 2147483648))
    out+=" $((lo + (x >> 8) % (hi - lo)))"
  done
  echo "$out"
}

# first_near_tie MARGINS LIMIT_FRAC: first step whose top-2 margin is below
# LIMIT_FRAC times that step's logits RMS (the step count if none).
first_near_tie () {
  awk -v f="$2" '{ if ($3 < f * $4) { print $1; found = 1; exit } } END { if (!found) print NR }' "$1"
}

# ids_of OUTPUT: the last line of OUTPUT made only of ids (ignores chatter).
ids_of () {
  grep -E '^[0-9]+( [0-9]+)*$' <<<"$1" | tail -n 1
}

echo "work dir: $work, threads: $threads"
