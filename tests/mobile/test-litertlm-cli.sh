#!/usr/bin/env bash
# test-litertlm-cli.sh TEST_LITERTLM GEMLET_CLI — `gemlet-cli info` on a
# LiteRT-LM bundle (the sample from tests/mobile/ltlm-writer.c) lists every
# section with its type, offset, size and items, in text and JSON, and says
# the file cannot be run; generate refuses it with the same reason; a
# broken bundle is an error naming the problem.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
gen=$1 cli=$2
work=$(mktemp -d "${GEMLET_TEST_TMP:-/tmp}/litertlm-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$gen" --write "$work/gemma.litertlm"
"$cli" info "$work/gemma.litertlm" | tee "$work/info.txt"
for want in "LiteRT-LM bundle (.litertlm), container version 1.5.0" "Sections:        7" \
    "TFLiteModel" "model_type = \"tf_lite_prefill_decode\"" "TFLite model (FlatBuffer TFL3)" \
    "HF_Tokenizer_Zlib" "(12345 bytes uncompressed)" "SentencePiece" "LlmMetadataProto" \
    "TFLiteWeights" "Gemlet cannot run it"; do
  grep -qF -- "$want" "$work/info.txt" || { echo "FAIL: info lacks: $want"; exit 1; }
done

"$cli" info "$work/gemma.litertlm" --json > "$work/info.json"
python3 - "$work/info.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "litertlm" and d["container_version"] == "1.5.0", d
assert d["runnable"] is False and "cannot run" in d["reason"]
s = d["sections"]
assert [x["type"] for x in s] == ["LlmMetadataProto", "TFLiteModel", "TFLiteModel", "TFLiteModel",
                                  "TFLiteWeights", "SP_Tokenizer", "HF_Tokenizer_Zlib"], s
assert all(x["begin"] % 16384 == 0 and x["bytes"] == x["end"] - x["begin"] for x in s)
assert s[1]["items"] == {"model_type": "tf_lite_prefill_decode", "backend": "cpu"}
assert s[6]["uncompressed_bytes"] == 12345
assert d["system_metadata"]["author"] == "Gemlet test writer" and d["system_metadata"]["i64"] == -2**63
print("json ok")
PY

if "$cli" generate "$work/gemma.litertlm" --tokens "2 3" -n 1 2> "$work/gen.err"; then
  echo "FAIL: generate accepted a .litertlm"; exit 1
fi
cat "$work/gen.err"
grep -q "LiteRT-LM bundle" "$work/gen.err"
grep -q "cannot run" "$work/gen.err"

# broken: cut inside the header
head -c 100 "$work/gemma.litertlm" > "$work/cut.litertlm"
if "$cli" info "$work/cut.litertlm" 2> "$work/cut.err"; then
  echo "FAIL: info accepted a truncated bundle"; exit 1
fi
cat "$work/cut.err"
grep -q "truncated LiteRT-LM file" "$work/cut.err"

# named .litertlm but too short for the magic: reported as a broken bundle
printf 'LITE' > "$work/tiny.litertlm"
if "$cli" generate "$work/tiny.litertlm" --tokens "2" -n 1 2> "$work/tiny.err"; then
  echo "FAIL: generate accepted a 4-byte .litertlm"; exit 1
fi
cat "$work/tiny.err"
grep -q "truncated LiteRT-LM file" "$work/tiny.err"
echo ok
