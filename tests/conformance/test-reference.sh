#!/usr/bin/env bash
# The reference side alone: llama.cpp loads every kind of file the
# generator writes, its logits have the intended scale, and with the
# reference settings they do not depend on the thread count.
#
# SPDX-License-Identifier: GPL-3.0-or-later
source "$(dirname "$0")/common.sh"

ids=$(prompt_ids 7 40 107 1017)
status=0

"$GEN_MODEL" --shape tiny --type f32 -o "$work/f32.gguf"
"$LLAMA_REF" logits "$work/f32.gguf" --tokens "$ids" --all --out "$work/t1.bin" -t 1 -v 2>"$work/log" \
  || { cat "$work/log"; exit 1; }
grep -m1 "CPU backend" "$work/log" || true
"$LLAMA_REF" logits "$work/f32.gguf" --tokens "$ids" --all --out "$work/t2.bin" -t 2
if cmp -s "$work/t1.bin" "$work/t2.bin"; then
  echo "ok: logits identical with 1 and 2 threads"
else
  echo "FAIL: logits differ between 1 and 2 threads"; status=1
fi

# logits scale: RMS about 2 (s is printed by compare-logits)
s=$("$COMPARE_LOGITS" --n-vocab 1024 "$work/t1.bin" "$work/t1.bin" --quiet | sed -n 's/.*s = RMS(ref) = \([0-9.]*\).*/\1/p')
echo "tiny f32 logits RMS: $s"
awk -v s="$s" 'BEGIN { exit !(s > 1.0 && s < 4.0) }' || { echo "FAIL: logits RMS $s outside (1, 4)"; status=1; }

for t in f16 bf16 q8_0 q4_0 q6_k qat; do
  for form in --full --compact; do
    "$GEN_MODEL" --shape tiny --type $t $form -o "$work/m.gguf" 2>/dev/null
    if "$LLAMA_REF" logits "$work/m.gguf" --tokens "$ids" --out "$work/l.bin" -t "$threads"; then
      echo "ok: llama.cpp runs tiny $t $form"
    else
      echo "FAIL: llama.cpp cannot run tiny $t $form"; status=1
    fi
  done
done

# the F32 twin of a quantized file loads and is close to it
"$GEN_MODEL" --shape tiny --type q4_0 -o "$work/q.gguf"
"$GEN_MODEL" --dequant-copy-of "$work/q.gguf" -o "$work/twin.gguf"
"$LLAMA_REF" logits "$work/q.gguf" --tokens "$ids" --all --out "$work/q.bin" -t "$threads"
"$LLAMA_REF" logits "$work/twin.gguf" --tokens "$ids" --all --out "$work/twin.bin" -t "$threads"
"$COMPARE_LOGITS" --n-vocab 1024 "$work/q.bin" "$work/twin.bin" --quiet --cos-min 0.99 \
  || { echo "FAIL: Q4_0 file and its F32 twin disagree"; status=1; }

# tokenizer reference: BOS first, specials parsed
out=$("$LLAMA_REF" tokenize "$work/f32.gguf" --text "<|turn>user
Hello world<turn|>")
echo "tokenize: $out"
[[ $out == "2 105 "*" 106" ]] || { echo "FAIL: unexpected tokenization"; status=1; }

exit $status
