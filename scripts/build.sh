#!/usr/bin/env bash
# Installs dependencies (scripts/setup.sh) and builds edgezoo into build/ (Release), or into
# build-asan/ with AddressSanitizer + UBSan when called with --sanitize.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dir=build; extra=()
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-asan; extra=(-DEDGEZOO_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGEZOO_BENCH=OFF)
fi
cmake -S . -B "$dir" -G Ninja "${extra[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
