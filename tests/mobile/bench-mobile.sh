#!/usr/bin/env bash
# bench-mobile.sh BUILD_DIR [REPS] [WORK_DIR] — decode and prefill speed of
# the E2B-shaped mobile checkpoint against Gemlet's own Q4_0-QAT-layout E2B
# file (the comparison of engine/MOBILE-FORMAT.md "Performance"). Not a
# test: it asserts nothing. Generates both models into WORK_DIR (default a
# temporary folder, deleted afterwards; ~5.5 GB), then alternates the two
# files REPS times (default 5) with `gemlet-cli bench -t 2 --json` for
# tg (-p 64 -n 64) and pp512, and prints medians, the ratio of medians and
# the per-repetition ratios with the load average seen. Alternating keeps
# both files exposed to the same background load.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
build=${1:?usage: bench-mobile.sh BUILD_DIR [REPS] [WORK_DIR]}
reps=${2:-5}
work=${3:-}
cli="$build/engine/cli/gemlet-cli" gen="$build/tests/models/gemlet-gen-model"
if [[ -z $work ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/bench-mobile.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
[[ -f $work/q4.gguf ]] || "$gen" --shape e2b --type qat --compact --seed 1 -o "$work/q4.gguf" >/dev/null
[[ -d $work/mobile ]] || "$gen" --format mobile --shape e2b --type blocks --seed 1 -o "$work/mobile"
runs="$work/runs.jsonl"
: > "$runs"
for ((r = 1; r <= reps; r++)); do
  for t in "tg -p 64 -n 64" "pp512 -p 512 -n 0"; do
    set -- $t
    name=$1
    shift
    for m in q4.gguf mobile; do
      load=$(cut -d' ' -f1 /proc/loadavg)
      j=$("$cli" bench "$work/$m" "$@" -t 2 --json 2>/dev/null | tail -n 1)
      echo "{\"rep\": $r, \"test\": \"$name\", \"model\": \"$m\", \"load\": $load, \"r\": $j}" >> "$runs"
    done
  done
done
python3 - "$runs" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for test, key in (("tg", "tg_tok_s"), ("tg", "pp_tok_s"), ("pp512", "pp_tok_s")):
    val = lambda m: [r["r"][key] for r in rows if r["test"] == test and r["model"] == m]
    q, mo = val("q4.gguf"), val("mobile")
    pairs = [b / a for a, b in zip(q, mo)]
    loads = [r["load"] for r in rows if r["test"] == test]
    label = {"tg_tok_s": "decode", "pp_tok_s": "prefill"}[key]
    print(f"{test:5s} {label:7s} Q4_0 median {statistics.median(q):7.2f} tok/s  mobile median "
          f"{statistics.median(mo):7.2f} tok/s  ratio {statistics.median(mo) / statistics.median(q):.2f}"
          f"  per-rep {' '.join('%.2f' % x for x in pairs)}  load {min(loads):.1f}-{max(loads):.1f}")
# memory of the decode runs: the weights the engine keeps resident (the
# per-layer embedding table is mapped on demand and released after each
# row) and the process's peak RSS
for m, label in (("q4.gguf", "Q4_0  "), ("mobile", "mobile")):
    rs = [r["r"] for r in rows if r["test"] == "tg" and r["model"] == m]
    print(f"memory  {label} resident weights {rs[0].get('weights_resident_bytes', 0) / 1e9:.3f} GB"
          f"  peak RSS {max(r['peak_rss_mib'] for r in rs):.0f} MiB (largest of {len(rs)} runs)")
PY
