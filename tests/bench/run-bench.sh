#!/usr/bin/env bash
# run-bench.sh — Gemlet against llama.cpp on the E2B and E4B shapes in the
# layout of Google's Q4_0 QAT files (issue 4's targets).  Not part of
# `meson test`: timings are never asserted in unit tests.
#
#   tests/bench/run-bench.sh [--build-dir DIR] [--ref-dir DIR] [--reps N]
#                            [--threads N] [--models "e2b e4b"] [--out FILE]
#
# What it does:
#   1. builds Gemlet (or uses --build-dir, which must be configured with
#      -Dllama_dir so llama-ref exists) and prepares the reference llama.cpp
#      with tests/conformance/setup.sh (pinned node-llama-cpp 3.22.1, the
#      build it ships; npm registry only);
#   2. generates the models with gemlet-gen-model --type qat --compact into a
#      temporary directory ($GEMLET_TEST_TMP or /tmp), deleted at the end;
#   3. per model and repetition, alternating the two engines (the order
#      flips every repetition, so load changes hit both alike): a read
#      bandwidth probe (bench-kernels membw), then prompt processing of 128
#      and 512 tokens and generation of 128 tokens (from an empty context,
#      as llama-bench's tg128), each in a fresh process with one untimed
#      warm-up token;
#   4. prints a markdown table of medians and ratios (also written to
#      tests/bench/results.md, or --out) and exits 1 if a target fails:
#        decode >= 1.3x llama.cpp, prompt 128/512 >= 1.0x, peak RSS <= 0.6x,
#        decode >= 80 % of the bandwidth limit (bytes a token must read —
#        resident weights without the PLE table, one PLE row, the K/V rows —
#        divided by the measured read bandwidth).
#
# llama.cpp runs with its DEFAULT user settings, as llama-bench/llama-cli
# would (llama-ref bench without --ref-settings): Q4_0 weights repacked for
# the CPU, flash attention auto, F16 K/V cache, polling worker threads.
# That is what users compare against.  Gemlet runs with its defaults too
# (F32 K/V cache, kernels picked from CPUID).
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

build_dir=""
ref_dir="${GEMLET_REF_DIR:-$HOME/.cache/gemlet-ref}"
reps=5
threads=2
models="e2b e4b"
out="$here/results.md"

usage () {
  sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --ref-dir) ref_dir=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run-bench.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $reps =~ ^[1-9][0-9]*$ ]] || { echo "run-bench.sh: bad --reps" >&2; exit 2; }
[[ $threads =~ ^[1-9][0-9]*$ ]] || { echo "run-bench.sh: bad --threads" >&2; exit 2; }
command -v python3 >/dev/null || { echo "run-bench.sh: needs python3" >&2; exit 1; }

log () { echo "run-bench: $*" >&2; }

load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
date_start=$(date -u '+%Y-%m-%d %H:%M UTC')

# 1. reference llama.cpp and the build
bash "$repo/tests/conformance/setup.sh" "$ref_dir" >&2
ref_dir=$(cd "$ref_dir" && pwd)

tmp_root="${GEMLET_TEST_TMP:-/tmp}"
work=$(mktemp -d "$tmp_root/gemlet-bench.XXXXXX")
cleanup () { rm -rf "$work"; }
trap cleanup EXIT

if [[ -z $build_dir ]]; then
  build_dir="$work/build"
  log "building into $build_dir"
  meson setup "$build_dir" "$repo" -Dapp=false -Dllama_dir="$ref_dir" >/dev/null
fi
ninja -C "$build_dir" engine/cli/gemlet-cli tests/models/gemlet-gen-model \
  tests/conformance/llama-ref tests/kernels/bench-kernels >/dev/null
cli="$build_dir/engine/cli/gemlet-cli"
llama="$build_dir/tests/conformance/llama-ref"
gen="$build_dir/tests/models/gemlet-gen-model"
membw="$build_dir/tests/kernels/bench-kernels"
for f in "$cli" "$llama" "$gen" "$membw"; do
  [[ -x $f ]] || { echo "run-bench.sh: missing $f (configure the build with -Dllama_dir)" >&2; exit 1; }
done

# 2. models
for m in $models; do
  case "$m" in e2b|e4b) ;; *) echo "run-bench.sh: unknown model shape '$m'" >&2; exit 2 ;; esac
  log "generating $m (Q4_0 QAT layout, compact)"
  "$gen" --shape "$m" --type qat --compact --seed 1 -o "$work/$m.gguf" >/dev/null
done

# 3. runs; every result is one JSON line in runs.jsonl
runs="$work/runs.jsonl"
: > "$runs"

record () { # engine model test rep json
  python3 - "$@" >> "$runs" <<'EOF'
import json, sys
engine, model, test, rep, line = sys.argv[1:6]
d = json.loads(line)
d.update(engine=engine, model=model, test=test, rep=int(rep))
print(json.dumps(d))
EOF
}

run_ours () { # model test p n rep
  local j
  j=$("$cli" bench "$work/$1.gguf" -p "$3" -n "$4" -t "$threads" --json 2>>"$work/engines.log" | tail -n 1) \
    || { tail -n 20 "$work/engines.log" >&2; exit 1; }
  record gemlet "$1" "$2" "$5" "$j"
}

run_llama () { # model test p n rep
  local j
  j=$("$llama" bench "$work/$1.gguf" -p "$3" -n "$4" -t "$threads" --json 2>>"$work/engines.log" | tail -n 1) \
    || { tail -n 20 "$work/engines.log" >&2; exit 1; }
  record llama.cpp "$1" "$2" "$5" "$j"
}

run_membw () { # model rep
  local g
  g=$("$membw" --threads "$threads" --mb 256 --types '' --reps 5 | awk '/^membw/ { for (i = 1; i <= NF; i++) if ($i ~ /^gbps=/) print substr($i, 6) }')
  record probe "$1" membw "$2" "{\"gbps\": $g}"
}

for m in $models; do
  for ((r = 1; r <= reps; r++)); do
    log "$m repetition $r/$reps (load $(cut -d' ' -f1 /proc/loadavg))"
    run_membw "$m" "$r"
    for t in pp128:128:0 pp512:512:0 tg128:0:128; do
      IFS=: read -r test p n <<< "$t"
      if (( r % 2 )); then
        run_ours "$m" "$test" "$p" "$n" "$r"; run_llama "$m" "$test" "$p" "$n" "$r"
      else
        run_llama "$m" "$test" "$p" "$n" "$r"; run_ours "$m" "$test" "$p" "$n" "$r"
      fi
    done
  done
done

# 4. report
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
cores=$(lscpu -p=core 2>/dev/null | grep -v '^#' | sort -u | wc -l)
cpus=$(nproc)
kernel=$(uname -r)
load_at_end=$(cut -d' ' -f1-3 /proc/loadavg)
cmd="tests/bench/run-bench.sh --reps $reps --threads $threads --models \"$models\""

python3 - "$runs" "$out" "$cpu_model" "$cores" "$cpus" "$kernel" "$date_start" \
  "$load_at_start" "$load_at_end" "$reps" "$threads" "$cmd" <<'EOF'
import json, statistics, sys

runs_path, out_path, cpu_model, cores, cpus, kernel, date, load0, load1, reps, threads, cmd = sys.argv[1:]
runs = [json.loads(l) for l in open(runs_path)]

def sel(engine, model, test):
    return [r for r in runs if r["engine"] == engine and r["model"] == model and r["test"] == test]

def med(xs):
    return statistics.median(xs) if xs else float("nan")

models = []
for r in runs:
    if r["model"] not in models:
        models.append(r["model"])

lines, failures, details = [], [], []
variant = backend = ""
bw_all = []
lines.append("| model | measure | Gemlet | llama.cpp | ratio | target | |")
lines.append("|---|---|---:|---:|---:|---|---|")
for m in models:
    M = m.upper()
    bw = med([r["gbps"] for r in sel("probe", m, "membw")])
    bw_all += [r["gbps"] for r in sel("probe", m, "membw")]
    for test, key in (("pp128", "pp_tok_s"), ("pp512", "pp_tok_s"), ("tg128", "tg_tok_s")):
        ours = [r[key] for r in sel("gemlet", m, test)]
        ref = [r[key] for r in sel("llama.cpp", m, test)]
        o, l = med(ours), med(ref)
        ratio = o / l if l > 0 else float("nan")
        need = 1.3 if test == "tg128" else 1.0
        ok = ratio >= need
        if not ok:
            failures.append(f"{M} {test}: {ratio:.2f}x llama.cpp, target >= {need:.1f}x")
        what = "generation tok/s" if test == "tg128" else f"prompt {test[2:]} tok/s"
        lines.append(f"| {M} | {what} ({test}) | {o:.2f} | {l:.2f} | {ratio:.2f}x | >= {need:.1f}x | {'ok' if ok else '**FAIL**'} |")
        details.append(f"| {M} | {test} | " + ", ".join(f"{x:.2f}" for x in ours) + " | "
                       + ", ".join(f"{x:.2f}" for x in ref) + " |")
        for r in sel("gemlet", m, test):
            variant = r.get("kernel", variant)
        for r in sel("llama.cpp", m, test):
            backend = r.get("cpu_backend", backend)
    # bandwidth limit for decode
    tg = sel("gemlet", m, "tg128")
    bpt = med([r["decode_bytes_per_token"] for r in tg])
    limit = bw * 1e9 / bpt if bpt > 0 else float("nan")
    o = med([r["tg_tok_s"] for r in tg])
    l = med([r["tg_tok_s"] for r in sel("llama.cpp", m, "tg128")])
    pct, pct_l = 100.0 * o / limit, 100.0 * l / limit
    ok = pct >= 80.0
    if not ok:
        failures.append(f"{M} decode at {pct:.0f} % of the bandwidth limit ({limit:.1f} tok/s), target >= 80 %")
    lines.append(f"| {M} | generation, % of bandwidth limit ({bpt / 1e9:.3f} GB/token at {bw:.1f} GB/s = {limit:.1f} tok/s) "
                 f"| {pct:.0f} % | {pct_l:.0f} % | | >= 80 % | {'ok' if ok else '**FAIL**'} |")
    # no engine can decode faster than the bandwidth limit: the highest
    # generation ratio any engine could reach against this llama.cpp run
    ceiling = limit / l if l > 0 else float("nan")
    lines.append(f"| {M} | highest generation ratio the bandwidth allows (limit / llama.cpp) | | | "
                 f"{ceiling:.2f}x | | |")
    for i, f in enumerate(failures):
        if f.startswith(f"{M} tg128:"):
            failures[i] = (f + f" (1.3x is {1.3 * l:.1f} tok/s; the bandwidth limit is {limit:.1f} tok/s, "
                           f"so no engine can exceed {ceiling:.2f}x here)")
    # peak RSS: the largest of each engine's runs
    ro = max(r["peak_rss_mib"] for r in runs if r["engine"] == "gemlet" and r["model"] == m)
    rl = max(r["peak_rss_mb"] for r in runs if r["engine"] == "llama.cpp" and r["model"] == m)
    ratio = ro / rl
    ok = ratio <= 0.6
    if not ok:
        failures.append(f"{M} peak RSS: {ratio:.2f}x llama.cpp, target <= 0.6x")
    lines.append(f"| {M} | peak RSS (MiB) | {ro:.0f} | {rl:.0f} | {ratio:.2f}x | <= 0.6x | {'ok' if ok else '**FAIL**'} |")

head = [
    "## Gemlet vs llama.cpp, " + ", ".join(m.upper() for m in models) + " (Q4_0 QAT layout), "
    + f"{threads} threads",
    "",
    f"- Machine: {cpu_model}, {cores} cores / {cpus} CPUs, Linux {kernel}; "
    f"measured read bandwidth {med(bw_all):.1f} GB/s ({threads} threads, median)",
    f"- Date: {date}; load average at start {load0}, at end {load1} (shared machine)",
    f"- Gemlet kernels: {variant}; llama.cpp: node-llama-cpp 3.22.1 build, CPU backend "
    f"{backend.split('/')[-1] if backend else '?'}, DEFAULT settings (Q4_0 repacking on, "
    "flash attention auto, F16 K/V cache) as llama-bench/llama-cli run it",
    f"- Medians of {reps} repetitions, the engines alternating (fresh process per run, one "
    "untimed warm-up token); tg128 from an empty context; peak RSS is the largest VmHWM of "
    "an engine's runs",
    "",
]
tail = ["", f"Reproduce: `{cmd}`", ""]
if failures:
    tail += ["Targets missed:", ""] + [f"- {f}" for f in failures] + [""]
else:
    tail += ["All targets met.", ""]
tail += ["<details><summary>Every run (tok/s)</summary>", "",
         "| model | test | Gemlet | llama.cpp |", "|---|---|---|---|"] + details + ["", "</details>", ""]
text = "\n".join(head + lines + tail)
open(out_path, "w").write(text)
print(text)
for f in failures:
    print("TARGET FAILED: " + f, file=sys.stderr)
sys.exit(1 if failures else 0)
EOF
