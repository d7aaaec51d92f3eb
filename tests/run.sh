#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine:
# installs what it needs, builds warning-free, runs every suite, then runs the
# fast suites again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

bash tests/install-deps.sh test

# Reference llama.cpp (pinned node-llama-cpp build + its exact source headers).
ref_dir=${GEMLET_REF_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gemlet-ref}
bash tests/conformance/setup.sh "$ref_dir"

# Big generated models go here and are deleted on exit.
export GEMLET_TEST_TMP=${GEMLET_TEST_TMP:-$(mktemp -d /tmp/gemlet-test.XXXXXX)}
trap 'rm -rf "$GEMLET_TEST_TMP"' EXIT

status=0
meson setup build-test --wipe -Dwerror=true -Dllama_dir="$ref_dir" >/dev/null \
  || meson setup build-test -Dwerror=true -Dllama_dir="$ref_dir"
meson compile -C build-test
meson test -C build-test --print-errorlogs --num-processes 2 || status=1

meson setup build-asan --wipe -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
  -Dapp=false >/dev/null || meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined \
  -Db_lundef=false -Dapp=false
meson compile -C build-asan
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
  meson test -C build-asan --suite unit --print-errorlogs --num-processes 2 || status=1

python3 - "$top" <<'PY' || status=1
import json, sys, os
passed = failed = skipped = 0
for d in ("build-test", "build-asan"):
    path = os.path.join(sys.argv[1], d, "meson-logs", "testlog.json")
    if not os.path.exists(path):
        continue
    for line in open(path):
        r = json.loads(line)
        res = r.get("result")
        if res in ("OK", "EXPECTEDFAIL"): passed += 1
        elif res == "SKIP": skipped += 1
        else: failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
PY
exit $status
