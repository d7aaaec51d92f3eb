#!/usr/bin/env bash
# placeholder: prepares the reference llama.cpp into "$1"
set -euo pipefail
mkdir -p "$1"
