#!/usr/bin/env bash
# Installs the Debian 12 packages Gemlet needs.
#   install-deps.sh build   what building and running the app needs
#   install-deps.sh test    that, plus what the test suite needs
set -euo pipefail

build_pkgs=(
  meson ninja-build pkg-config gcc
  libopenblas-dev libjson-c-dev
  libgtk-4-dev libadwaita-1-dev libsqlite3-dev libcmark-dev
  gettext desktop-file-utils appstream libglib2.0-dev-bin
)
test_pkgs=(
  clang llvm libclang-rt-14-dev
  xvfb xauth imagemagick
  git nodejs npm
  flatpak-builder fonts-noto-cjk locales
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
)

case "${1:-build}" in
  build) pkgs=("${build_pkgs[@]}") ;;
  test) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# node/npm may come from outside Debian; accept any working install.
if command -v node >/dev/null && command -v npm >/dev/null; then
  tmp=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || tmp+=("$p"); done
  missing=("${tmp[@]+"${tmp[@]}"}")
fi
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
