#!/usr/bin/python3
"""End-to-end checks of `edgezoo quantize` (issue 6).

1. yolox_nano quantized with the 20 images of coco/subset20 (minmax and kl by default):
   - the written model loads in ONNX Runtime, and edgezoo's outputs on it agree with ORT's
     (cosine >= 0.999) on bus.jpg;
   - the int8 (QDQ) model's output on bus.jpg agrees with the float model's (cosine >= 0.99);
   - the model is standard QDQ: opset >= 13, int8 weights, int32 biases, Q/DQ pairs.
2. Bad input gives a clear one-line error and a non-zero exit, and writes nothing: a missing image
   (named, with its line), an unreadable image, an empty list, a model with no quantizable op.

Usage: quantize_checks.py EDGEZOO_BINARY [--data DIR] [--work DIR] [--algos minmax,kl] [--json FILE]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "ort"))
from ort_agreement import ORT_RUN, compare, make_input  # noqa: E402  (same pre-processing as the ORT checks)

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def outputs_of(tool, model, feeds, out_dir, edgezoo):
    cmd_in = []
    for k, p in feeds.items():
        cmd_in += ["--input", f"{k}={p}"]
    if tool == "ort":
        r = run(["node", ORT_RUN, model, *cmd_in, "--output-dir", out_dir])
    else:
        r = run([edgezoo, "run", model, *cmd_in, "--threads", "2", "-o", out_dir])
    if r.returncode != 0:
        return None, r.stderr.strip()
    return {f[:-4]: np.load(os.path.join(out_dir, f)) for f in sorted(os.listdir(out_dir))}, ""


def check_qdq_structure(path, name):
    m = onnx.load(path)
    opset = max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
    ops = [n.op_type for n in m.graph.node]
    types = {t.name: t.data_type for t in m.graph.initializer}
    int8_w = sum(1 for t in m.graph.initializer if t.data_type == TensorProto.INT8 and len(t.dims) >= 2)
    int32_b = sum(1 for t in m.graph.initializer if t.data_type == TensorProto.INT32 and len(t.dims) == 1)
    convs_on_dq = 0
    producers = {o: n for n in m.graph.node for o in n.output}
    for n in m.graph.node:
        if n.op_type == "Conv":
            p = producers.get(n.input[0])
            convs_on_dq += p is not None and p.op_type == "DequantizeLinear"
    check(opset >= 13, f"{name}: opset {opset} >= 13")
    check(ops.count("QuantizeLinear") > 0 and ops.count("DequantizeLinear") > ops.count("QuantizeLinear"),
          f"{name}: {ops.count('QuantizeLinear')} QuantizeLinear, {ops.count('DequantizeLinear')} DequantizeLinear")
    check(int8_w == ops.count("Conv") and int32_b > 0, f"{name}: {int8_w} int8 weights for {ops.count('Conv')} Conv, {int32_b} int32 biases")
    check(convs_on_dq == ops.count("Conv"), f"{name}: every Conv reads a DequantizeLinear output ({convs_on_dq})")
    onnx.checker.check_model(m)
    check(True, f"{name}: passes onnx.checker")
    del types


def error_case(edgezoo, args, expect, name, out):
    r = run([edgezoo, "quantize", *args, "-o", out])
    # Progress lines may precede it; the error itself is one line starting "edgezoo:".
    errors = [l for l in r.stderr.splitlines() if not l.startswith("calibrating")]
    msg = "\n".join(errors)
    ok = r.returncode != 0 and len(errors) == 1 and errors[0].startswith("edgezoo: ") and expect in msg and not os.path.exists(out)
    check(ok, f"error case {name}: exit {r.returncode}, '{msg}'")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("edgezoo")
    ap.add_argument("--data", default=os.environ.get("EDGEZOO_DATA", os.path.join(ROOT, "..", "shared", "data")))
    ap.add_argument("--work", default=None, help="where the quantized models go (default: a temporary folder)")
    ap.add_argument("--algos", default="minmax,kl")
    ap.add_argument("--json")
    args = ap.parse_args()
    # ort_run.js finds onnxruntime-node in third_party_npm (scripts/setup.sh) or EDGEZOO_ORT_DIR.
    if "EDGEZOO_ORT_DIR" not in os.environ and not os.path.isdir(os.path.join(ROOT, "third_party_npm", "node_modules")):
        print("quantize_checks: onnxruntime-node not found: run scripts/setup.sh or set EDGEZOO_ORT_DIR", file=sys.stderr)
    model = os.path.join(args.data, "models", "yolox_nano.onnx")
    subset = os.path.join(args.data, "coco", "subset20")
    if not os.path.exists(model) or not os.path.isdir(subset):
        print(f"quantize_checks: test data missing under {args.data}", file=sys.stderr)
        return 2
    tmp_holder = tempfile.TemporaryDirectory()
    work = args.work or tmp_holder.name
    os.makedirs(work, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=tmp_holder.name)
    # The list names images relative to its own folder.
    images = sorted(f for f in os.listdir(subset) if f.endswith(".jpg"))
    list_path = os.path.join(work, "subset20.txt")
    with open(list_path, "w") as f:
        f.write("# coco/subset20, paths relative to this file\n")
        for im in images:
            f.write(os.path.relpath(os.path.join(subset, im), work) + "\n")

    feeds = {}
    for k, v in make_input("/models/yolox_nano.onnx", args.data).items():
        feeds[k] = os.path.join(tmp, k + ".npy")
        np.save(feeds[k], np.ascontiguousarray(v))
    ref, err = outputs_of("edgezoo", model, feeds, os.path.join(tmp, "float"), args.edgezoo)
    check(ref is not None, f"float model runs in edgezoo {err}")
    rows = []
    for algo in args.algos.split(","):
        out = os.path.join(work, f"yolox_nano_int8_{algo}.onnx")
        report = os.path.join(work, f"yolox_nano_int8_{algo}.json")
        t0 = time.time()
        r = run([args.edgezoo, "quantize", model, "--dataset", list_path, "-o", out, "--algo", algo, "--json", report])
        secs = time.time() - t0
        check(r.returncode == 0 and os.path.exists(out), f"quantize --algo {algo} ({secs:.1f} s) {r.stderr.strip()[-300:] if r.returncode else ''}")
        if r.returncode != 0:
            continue
        with open(report) as f:
            rep = json.load(f)
        check(rep["samples"] == 20 and rep["quantized_nodes"] > 0, f"{algo}: report says {rep['samples']} samples, {rep['quantized_nodes']} nodes")
        check_qdq_structure(out, algo)
        ort, err = outputs_of("ort", out, feeds, os.path.join(tmp, "ort_" + algo), args.edgezoo)
        check(ort is not None, f"{algo}: ONNX Runtime loads and runs the QDQ model {err}")
        ours, err = outputs_of("edgezoo", out, feeds, os.path.join(tmp, "ez_" + algo), args.edgezoo)
        check(ours is not None, f"{algo}: edgezoo runs the QDQ model {err}")
        if ort is None or ours is None or ref is None:
            continue
        for name in ref:
            cos_ort, maxdiff, rng = compare(ours[name], ort[name])
            cos_float, _, _ = compare(ours[name], ref[name])
            cos_ort_float, _, _ = compare(ort[name], ref[name])
            check(cos_ort >= 0.999, f"{algo} {name}: edgezoo vs ORT on the QDQ model cosine {cos_ort:.6f} >= 0.999 (maxdiff {maxdiff:.3g} of range {rng:.3g})")
            check(cos_float >= 0.99, f"{algo} {name}: int8 vs float on bus.jpg cosine {cos_float:.6f} >= 0.99 (ORT int8 vs float {cos_ort_float:.6f})")
            rows.append({"algo": algo, "output": name, "cos_edgezoo_vs_ort": cos_ort, "cos_int8_vs_float": cos_float,
                         "cos_ort_int8_vs_float": cos_ort_float, "calibration_s": rep["calibration_s"], "quantize_s": secs})

    # Error cases: every one a clear single line, non-zero exit, no output file.
    bad_out = os.path.join(tmp, "never.onnx")
    missing = os.path.join(tmp, "missing.txt")
    with open(missing, "w") as f:
        f.write(f"{os.path.join(subset, images[0])}\n\nnot_there.jpg\n")
    error_case(args.edgezoo, [model, "--dataset", missing], "line 3", "missing image", bad_out)
    corrupt_img = os.path.join(tmp, "corrupt.jpg")
    with open(corrupt_img, "wb") as f:
        f.write(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    corrupt = os.path.join(tmp, "corrupt.txt")
    with open(corrupt, "w") as f:
        f.write(f"{os.path.join(subset, images[0])}\ncorrupt.jpg\n")
    error_case(args.edgezoo, [model, "--dataset", corrupt], "corrupt.jpg", "unreadable image", bad_out)
    empty = os.path.join(tmp, "empty.txt")
    with open(empty, "w") as f:
        f.write("# no images\n")
    error_case(args.edgezoo, [model, "--dataset", empty], "names no image", "empty list", bad_out)
    error_case(args.edgezoo, [model, "--dataset", os.path.join(tmp, "nolist.txt")], "nolist.txt", "list not found", bad_out)
    plain = os.path.join(tmp, "add_only.onnx")
    g = helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"], name="add")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), plain)
    error_case(args.edgezoo, [plain, "--dataset", list_path], "no quantizable operator", "no quantizable op", bad_out)
    error_case(args.edgezoo, [model, "--dataset", list_path, "--exclude", "Conv_390,nope"], "'nope'", "unknown --exclude node", bad_out)
    error_case(args.edgezoo, [model, "--dataset", list_path, "--algo", "median"], "median", "unknown algorithm", bad_out)

    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    print(f"quantize_checks: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
