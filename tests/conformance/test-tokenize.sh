#!/usr/bin/env bash
# Tokenization identical to llama.cpp's on a varied corpus (scripts,
# emoji, code, whitespace and newline runs, special tokens inside text,
# invalid UTF-8), with the real-scale vocabulary (Gemma 3's pieces and
# merges with Gemma 4's specials) and with the small synthetic one; with and
# without special-token parsing and BOS.
#
# SPDX-License-Identifier: GPL-3.0-or-later
source "$(dirname "$0")/common.sh"

json="$LLAMA_DIR/tokenizer-gemma3.json"
[[ -s $json ]] || { echo "missing $json (run tests/conformance/setup.sh)"; exit 1; }

# Tiny weights, real vocabulary (llama.cpp loads only the vocabulary).
"$GEN_MODEL" --shape tiny --type q4_0 --direct --vocab gemma3 --tokenizer-json "$json" -o "$work/gemma3.gguf"
"$GEN_MODEL" --shape tiny --type q4_0 -o "$work/small.gguf"

# Samples: the corpus file (separator lines), plus invalid UTF-8 made here.
mkdir -p "$work/s"
awk -v dir="$work/s" '
  BEGIN { n = 0; text = ""; have = 0 }
  /^~~~~~~~~ sample ~~~~~~~~$/ {
    f = sprintf ("%s/%02d.txt", dir, n++); printf "%s", text > f; close (f)
    text = ""; have = 0; next
  }
  { text = have ? text "\n" $0 : $0; have = 1 }' "$CONFORMANCE_DIR/tokenize-corpus.txt"
printf 'lone continuation \x80\xbf, truncated \xe2\x96 and \xf0\x9f\x98, overlong \xc0\xaf, ff \xff\xfe, surrogate \xed\xa0\x80 end' > "$work/s/90.txt"
printf '\xe2\x96\x81\xe2\x96\x81 literal U+2581 twice, \xc3 then text, <|turn>\xff<turn|>' > "$work/s/91.txt"
files=("$work"/s/*.txt)
echo "${#files[@]} samples"

status=0
check () {  # check MODEL NAME FLAGS...
  local model=$1 name=$2; shift 2
  local ref_args=() f i=0 ours ref bad=0
  for f in "${files[@]}"; do ref_args+=(--file "$f"); done
  mapfile -t ref < <("$LLAMA_REF" tokenize "$model" "${ref_args[@]}" "$@")
  for f in "${files[@]}"; do
    ours=$(ids_of "$("$GEMLET_CLI" tokenize "$model" --file "$f" "$@" 2>&1 || true)")
    if [[ "$ours" != "${ref[$i]}" ]]; then
      echo "FAIL [$name ${*:-default}] $(basename "$f"): $(head -c 60 "$f" | tr '\n' ' ')"
      echo "   llama.cpp: ${ref[$i]:0:300}"
      echo "   gemlet:    ${ours:0:300}"
      bad=$((bad + 1))
    fi
    i=$((i + 1))
  done
  echo "$name ${*:-default}: $((${#files[@]} - bad))/${#files[@]} identical"
  ((bad == 0)) || status=1
}

for model in gemma3 small; do
  check "$work/$model.gguf" $model
  check "$work/$model.gguf" $model --no-special
  check "$work/$model.gguf" $model --no-bos
  check "$work/$model.gguf" $model --no-bos --no-special
done
exit $status
