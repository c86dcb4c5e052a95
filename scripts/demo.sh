#!/usr/bin/env bash
# The main job from a fresh checkout: install dependencies, build, detect objects in the sample
# image with the default model (YOLOX-Nano) and write the annotated picture to out/bus_detected.jpg.
# Data comes from $EDGEZOO_DATA (default ../shared/data beside the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${EDGEZOO_DATA:-$(cd .. && pwd)/shared/data}"
bash scripts/build.sh
mkdir -p out
./build/edgezoo detect "$DATA/models/yolox_nano.onnx" "$DATA/images/bus.jpg" -o out/bus_detected.jpg
