#!/usr/bin/env python3
"""The int8 runtime on a real QDQ model: yolox_nano quantized by make_qdq.py (ranges from bus.jpg,
written into the build tree, never into the repository) must run through edgezoo's QLinearConv
path and agree with ONNX Runtime on the same QDQ model (cosine >= 0.999, issue 6 criterion 2).
Also prints edgezoo's int8 vs fp32 latency at --threads 2 (informative: on a shared machine the
figure is noisy, so it is not asserted here).

Usage: qdq_runtime_check.py EDGEZOO_CLI [WORKDIR]
"""
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ort_agreement import ORT_RUN, compare, make_input  # noqa: E402

DATA = os.environ.get("EDGEZOO_DATA", os.path.join(HERE, "..", "..", "..", "shared", "data"))


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    return r.stdout


def main():
    cli = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(cli), "qdq_check")
    os.makedirs(work, exist_ok=True)
    model = os.path.join(DATA, "models", "yolox_nano.onnx")
    x = make_input("yolox_nano.onnx", DATA)["images"].astype(np.float32)
    calib = os.path.join(work, "bus_yolox.npy")
    np.save(calib, x)
    qdq = os.path.join(work, "yolox_nano_qdq.onnx")
    run(["/usr/bin/python3", os.path.join(HERE, "make_qdq.py"), model, calib, qdq])
    run([cli, "run", qdq, "--input", f"images={calib}", "-o", os.path.join(work, "ez"), "--threads", "2"])
    run(["node", ORT_RUN, qdq, "--input", f"images={calib}", "--output-dir", os.path.join(work, "ort")])
    ok = True
    for f in sorted(os.listdir(os.path.join(work, "ort"))):
        ours, ref = np.load(os.path.join(work, "ez", f)), np.load(os.path.join(work, "ort", f))
        cos, maxdiff, rng = compare(ours, ref)
        print(f"{f}: cosine {cos:.6f}, max diff {maxdiff:.4g} (range {rng:.4g})")
        ok = ok and cos >= 0.999
    # The graph must really run int8 convolutions.
    info = json.loads(run([cli, "bench", qdq, "--threads", "2", "--runs", "10", "--json"]))
    fp32 = json.loads(run([cli, "bench", model, "--threads", "2", "--runs", "10", "--json"]))
    ops = {o["op"]: o["nodes"] for o in info["profile_by_op"]}
    print("int8 graph:", ", ".join(f"{k} x{v}" for k, v in sorted(ops.items())))
    a, b = info["latency_ms"]["min"], fp32["latency_ms"]["min"]
    print(f"latency min at 2 threads: int8 {a:.2f} ms, fp32 {b:.2f} ms, ratio {a / b:.2f} (target <= 0.6)")
    if ops.get("QLinearConv", 0) != 113 or "DequantizeLinear" in ops:
        print("FAILED: expected all 113 convolutions as QLinearConv and no DequantizeLinear left")
        ok = False
    print("PASSED" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
