#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the benchmarks need, and the npm
# packages used only as references by tests/benchmarks (ONNX Runtime). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

PKGS=(
  build-essential cmake ninja-build pkg-config
  libdnnl-dev libonnx-dev libprotobuf-dev protobuf-compiler
  libjpeg-dev libpng-dev libyuv-dev libfreetype-dev fonts-dejavu-core
  libcli11-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  libonnx-testdata python3 python3-numpy python3-onnx python3-opencv python3-dev pybind11-dev

)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js (for the npm reference packages) comes with the machine image; Debian's nodejs only if absent.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

# ONNX Runtime (reference engine for tests and the speed anchor for bench/compare; never linked
# into the library). --ignore-scripts: its install script would try to download extra binaries.
if [ ! -d third_party_npm/node_modules/onnxruntime-node ]; then
  mkdir -p third_party_npm
  (cd third_party_npm && npm install --no-audit --no-fund --ignore-scripts \
      onnxruntime-node@1 >/dev/null)
fi
