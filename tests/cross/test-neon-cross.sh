#!/usr/bin/env bash
# The kernels cross-built for AArch64 and tested under qemu-user:
#  1. configures a kernels_only build (-Dwerror=true) with
#     aarch64-linux-gnu.ini and builds it (the NEON files for
#     armv8.2-a+dotprod, everything else for baseline armv8-a);
#  2. runs the kernel and channel-wise kernel unit tests through meson
#     (qemu -cpu max: the NEON+dotprod variant is selected and each test
#     compares it with the scalar reference);
#  3. checks that the NEON variant was the one selected and tested, and
#     that dispatch falls back to scalar with GEMLET_KERNELS=scalar and on
#     a CPU without dotprod (qemu -cpu cortex-a53), where the reference
#     test also runs in full (baseline code only).
# usage: test-neon-cross.sh [SOURCE_DIR [BUILD_DIR]]
#   BUILD_DIR defaults to $TMPDIR/gemlet-neon-cross and is kept between
#   runs (incremental); GEMLET_CROSS_JOBS sets ninja's -j (default 2).
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
bdir=${2:-${TMPDIR:-/tmp}/gemlet-neon-cross}
jobs=${GEMLET_CROSS_JOBS:-2}
cross=$src/tests/cross/aarch64-linux-gnu.ini
sysroot=/usr/aarch64-linux-gnu
start=$SECONDS

fail () {
  echo "test-neon-cross: FAIL: $*" >&2
  exit 1
}

missing=()
command -v aarch64-linux-gnu-gcc >/dev/null || missing+=(gcc-aarch64-linux-gnu)
[[ -f $sysroot/include/stdio.h ]] || missing+=(libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null || missing+=(qemu-user)
if ((${#missing[@]})); then
  fail "missing ${missing[*]} (Debian packages; 'bash tests/install-deps.sh test' installs them)"
fi

echo "== configure $bdir"
opts=(--cross-file "$cross" -Dkernels_only=true -Dwerror=true -Dapp=false -Dtests=true)
if [[ -f $bdir/build.ninja ]]; then
  meson setup --reconfigure "${opts[@]}" "$bdir" "$src" >"$bdir/cross-setup.log" 2>&1 \
    || { cat "$bdir/cross-setup.log" >&2; fail "meson setup --reconfigure"; }
else
  mkdir -p "$bdir"
  meson setup "${opts[@]}" "$bdir" "$src" >"$bdir.setup.log" 2>&1 \
    || { cat "$bdir.setup.log" >&2; fail "meson setup"; }
  rm -f "$bdir.setup.log"
fi

echo "== build (-j $jobs)"
ninja -C "$bdir" -j "$jobs" >"$bdir/cross-build.log" 2>&1 \
  || { cat "$bdir/cross-build.log" >&2; fail "cross build"; }
grep -q 'gk-neon.c' "$bdir/compile_commands.json" || fail "gk-neon.c was not built"
# warnings are errors (-Dwerror=true); say so if any slipped through anyway
if grep -q 'warning:' "$bdir/cross-build.log"; then
  grep 'warning:' "$bdir/cross-build.log" >&2
  fail "compiler warnings"
fi

echo "== unit tests under qemu-aarch64 -cpu max"
tests=(kernels-ref kernels-dot test-chanwise test-chanwise-simd)
# qemu runs the tests ~10-30x slower than native
meson test -C "$bdir" --no-rebuild --print-errorlogs --num-processes "$jobs" \
  --timeout-multiplier 5 "${tests[@]}" || fail "kernel tests under qemu"

log=$bdir/meson-logs/testlog.txt
grep -q '^# variant neon+dotprod,' "$log" \
  || fail "kernels-dot did not select neon+dotprod under qemu -cpu max"
grep -Eq '^# neon\+dotprod +yes' "$log" || fail "neon+dotprod not reported supported"
grep -Eq 'SIMD comparisons, [1-9][0-9]* in the permuted layout \(neon\+dotprod\)' "$log" \
  || fail "test-chanwise-simd did not compare the NEON channel-wise kernels"

dot=$bdir/tests/kernels/test-kernels-dot
ref=$bdir/tests/kernels/test-kernels-ref
run_qemu () {
  local cpu=$1
  shift
  qemu-aarch64 -cpu "$cpu" -L "$sysroot" "$@"
}

echo "== dispatch: GEMLET_KERNELS=scalar on -cpu max"
out=$(GEMLET_KERNELS=scalar KT_DISPATCH_ONLY=1 run_qemu max "$dot")
echo "$out"
grep -q '^# variant scalar,' <<<"$out" || fail "GEMLET_KERNELS=scalar did not select scalar"
grep -Eq '^# neon\+dotprod +yes' <<<"$out" || fail "neon+dotprod should stay supported"

echo "== dispatch: -cpu cortex-a53 (ARMv8.0, no dotprod)"
out=$(KT_DISPATCH_ONLY=1 run_qemu cortex-a53 "$dot")
echo "$out"
grep -q '^# variant scalar,' <<<"$out" || fail "without dotprod the dispatch must fall back to scalar"
grep -Eq '^# neon\+dotprod +no' <<<"$out" || fail "neon+dotprod reported supported without dotprod"
grep '^# variant' <<<"$out" | grep -qw dotprod && fail "dotprod listed in the features of a cortex-a53"
# the baseline build really runs there: the reference tests in full
run_qemu cortex-a53 "$ref" >"$bdir/cortex-a53-ref.log" 2>&1 \
  || { cat "$bdir/cortex-a53-ref.log" >&2; fail "kernels-ref on cortex-a53"; }

echo "test-neon-cross: OK ($((SECONDS - start)) s)"
