#!/usr/bin/env bash
# gemlet-cli logits / generate / chat / bench on a generated tiny model:
# output shapes, error exits, and that a second chat turn evaluates only its
# new tokens.
#
#   test-cli.sh GEN_MODEL GEMLET_CLI
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -uo pipefail
gen=$1
cli=$2
work=$(mktemp -d /tmp/gemlet-test-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
status=0
fail () { echo "FAIL: $*"; status=1; }

"$gen" --shape tiny --type q8_0 -o "$work/m.gguf" 2>/dev/null || { echo "cannot generate"; exit 1; }
m=$work/m.gguf

# logits: n_vocab floats, or n_tokens × n_vocab with --all
"$cli" logits "$m" --tokens "2 10 20 30" --out "$work/l.bin" -t 1 || fail "logits"
[[ $(stat -c %s "$work/l.bin") == 4096 ]] || fail "logits size $(stat -c %s "$work/l.bin")"
"$cli" logits "$m" --tokens "2 10 20 30" --out "$work/a.bin" --all -t 2 || fail "logits --all"
[[ $(stat -c %s "$work/a.bin") == 16384 ]] || fail "logits --all size"
# the last row of --all is the plain result (threads do not matter)
cmp -s "$work/l.bin" <(tail -c 4096 "$work/a.bin") || fail "last row of --all differs"

"$cli" logits "$m" --tokens "2 10 20 30" --out "$work/h.bin" --kv-f16 || fail "logits --kv-f16"
[[ $(stat -c %s "$work/h.bin") == 4096 ]] || fail "logits --kv-f16 size"

# errors: non-zero exit and a message
for args in "logits $work/none.gguf --tokens 2 --out $work/x.bin" \
            "logits $m --tokens 2,x --out $work/x.bin" \
            "logits $m --tokens 1024 --out $work/x.bin" \
            "logits $m --out $work/x.bin" \
            "generate $m --tokens 5000" \
            "generate $m -p hi -t 0" \
            "bench $work/none.gguf"; do
  # shellcheck disable=SC2086
  if "$cli" $args >/dev/null 2>"$work/err"; then fail "no error: $args"; fi
  [[ -s $work/err ]] || fail "no message: $args"
done

# --help: every command lists its options on stdout and exits 0, without
# touching the model argument
for c in info tokenize logits generate chat bench; do
  out=$("$cli" "$c" "$work/none.gguf" --help 2>"$work/err") || fail "$c --help exit status"
  [[ $out == "Usage: gemlet-cli $c "* ]] || fail "$c --help: no usage line"
  [[ ! -s $work/err ]] || fail "$c --help wrote to stderr: $(cat "$work/err")"
done
"$cli" generate -h | grep -q -- "--kv-f16" || fail "generate -h does not list --kv-f16"
"$cli" bench --help | grep -q -- "--depth" || fail "bench --help does not list --depth"
"$cli" --help | grep -q "COMMAND --help" || fail "gemlet-cli --help does not mention COMMAND --help"

# generate: greedy ids are reproducible and -n is honoured
a=$("$cli" generate "$m" --tokens "2 17 300" -n 12 --greedy --print-ids) || fail "generate"
b=$("$cli" generate "$m" --tokens "2 17 300" -n 12 --greedy --print-ids -t 1) || fail "generate -t 1"
[[ $a == "$b" ]] || fail "greedy ids differ: '$a' vs '$b'"
n=$(wc -w <<<"$a")
(( n >= 1 && n <= 12 )) || fail "generated $n ids"
"$cli" generate "$m" -p "Hello" --chat -n 4 --temp 0.8 --top-k 20 --top-p 0.9 --min-p 0.05 --seed 7 \
  >/dev/null || fail "generate --chat"

# chat: the second turn evaluates only its own tokens
printf 'hello there\nsecond turn\n/exit\n' | "$cli" chat "$m" --system "Be brief" -n 6 --greedy \
  >/dev/null 2>"$work/chat.err" || fail "chat"
t1=$(sed -n 's/^\[turn 1: evaluated \([0-9]*\) .*/\1/p' "$work/chat.err")
t2=$(sed -n 's/^\[turn 2: evaluated \([0-9]*\) prompt tokens, reused \([0-9]*\).*/\1 \2/p' "$work/chat.err")
read -r e2 r2 <<<"$t2"
[[ -n $t1 && -n $e2 ]] || fail "chat stats missing: $(cat "$work/chat.err")"
(( r2 >= t1 )) || fail "turn 2 reused $r2 < turn 1 prompt $t1"
(( e2 <= 30 )) || fail "turn 2 evaluated $e2 tokens"

# bench --json: one object with the documented keys
j=$("$cli" bench "$m" -p 16 -n 4 -r 2 --json -t 2) || fail "bench"
plain=$j
python3 - "$j" <<'PY' || fail "bench json: $j"
import json, sys
d = json.loads(sys.argv[1])
for k in ("pp_tok_s", "tg_tok_s", "peak_rss_mib", "threads", "model"):
    assert k in d, k
assert d["pp_tok_s"] > 0 and d["tg_tok_s"] > 0 and d["threads"] == 2
PY

# bench --depth: one object per depth, in order, with the plain bench's keys
# plus depth; the fill segments add up (generated tokens stay in context).
# The tiny model is trained for 512 positions.
j=$("$cli" bench "$m" --depth 200,0,64 -n 8 --json -t 2 2>"$work/err") || fail "bench --depth: $(cat "$work/err")"
python3 - "$j" "$(head -n 1 <<<"$plain")" <<'PY' || fail "bench --depth json: $j"
import json, sys
rows = [json.loads(l) for l in sys.argv[1].splitlines()]
plain = json.loads(sys.argv[2])
assert [r["depth"] for r in rows] == [0, 64, 200], [r["depth"] for r in rows]
for r in rows:
    missing = set(plain) - set(r)
    assert not missing, missing
    assert r["n_gen"] == 8 and r["tg_tok_s"] > 0 and r["threads"] == 2
    assert r["n_ctx"] >= 208 and r["kv_cache_bytes"] > 0
# fill segments: 0, then 64 − 8, then 200 − 72
assert [r["n_prompt"] for r in rows] == [0, 56, 128], [r["n_prompt"] for r in rows]
assert rows[0]["pp_tok_s"] == 0 and rows[1]["pp_tok_s"] > 0 and rows[2]["pp_tok_s"] > 0
# live K/V grows with depth, the allocation does not
assert rows[0]["kv_used_bytes"] < rows[1]["kv_used_bytes"] < rows[2]["kv_used_bytes"]
assert len({r["kv_cache_bytes"] for r in rows}) == 1
PY
"$cli" bench "$m" --depth 32 -n 4 -t 1 >"$work/out" 2>"$work/err" || fail "bench --depth (text)"
grep -q '^depth 32: fill 32 tokens' "$work/out" || fail "bench --depth text: $(cat "$work/out")"

# bench --depth errors: non-zero exit and a message that says what is wrong
check_err () { # expected-substring args...
  local want=$1; shift
  if "$cli" "$@" >/dev/null 2>"$work/err"; then fail "no error: $*"; fi
  grep -q -- "$want" "$work/err" || fail "message for '$*' lacks '$want': $(cat "$work/err")"
}
check_err "bad --depth value '-1'" bench "$m" --depth -1
check_err "bad --depth value '1,,2'" bench "$m" --depth 1,,2
check_err "bad --depth value 'abc'" bench "$m" --depth abc
check_err "trained context is 512" bench "$m" --depth 600 -n 8
check_err "trained context is 512" bench "$m" --depth 0,510 -n 8
check_err "closer than -n 8" bench "$m" --depth 0,4 -n 8
check_err "-p and -r" bench "$m" --depth 16 -p 8
exit $status
