#!/usr/bin/env bash
# The whole test suite from a fresh checkout: installs what is needed, builds (Release), runs every
# test (unit, ONNX node conformance, agreement with ONNX Runtime, CLI errors), then builds with
# AddressSanitizer + UBSan and runs the unit, node and CLI tests again.
# Test data is read from $EDGEZOO_DATA (default: ../shared/data beside the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
export EDGEZOO_DATA="${EDGEZOO_DATA:-$(cd .. && pwd)/shared/data}"
bash scripts/build.sh
(cd build && ctest --output-on-failure -j 2 --timeout 1500)
if [ "${EDGEZOO_SKIP_SANITIZE:-0}" != "1" ]; then
  bash scripts/build.sh --sanitize
  # Leak checking stays on. The two long model sweeps (every model against ONNX Runtime, and the
  # 206-image evaluation) are not repeated: detect_checks already drives the same pipeline code;
  # quantize_checks leaves out its hybrid search and PP-OCR det (EDGEZOO_SANITIZER_RUN).
  (cd build-asan && EDGEZOO_SANITIZER_RUN=1 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j 2 --timeout 1500 -E "ort_agreement|eval_checks")
fi
