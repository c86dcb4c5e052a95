#!/usr/bin/env bash
# The main job from a fresh checkout: install dependencies, build, and run the default model on the
# sample image. Data comes from $EDGEZOO_DATA (default ../shared/data beside the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${EDGEZOO_DATA:-$(cd .. && pwd)/shared/data}"
bash scripts/build.sh
mkdir -p out
./build/edgezoo info "$DATA/models/yolox_nano.onnx"
./build/edgezoo run "$DATA/models/yolox_nano.onnx" -o out
