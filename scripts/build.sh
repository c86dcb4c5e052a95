#!/usr/bin/env bash
# Installs dependencies (scripts/setup.sh) and builds edgezoo into build/ (Release), or into
# build-asan/ with AddressSanitizer + UBSan when called with --sanitize.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dir=build; extra=()
if [ "${1:-}" = "--sanitize" ]; then
  # -O1 without debug info: half the compile time of RelWithDebInfo, still readable reports.
  dir=build-asan; extra=(-DEDGEZOO_SANITIZE=ON -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG" -DEDGEZOO_BENCH=OFF)
fi
cmake -S . -B "$dir" -G Ninja "${extra[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
