"""`edgezoo analyze` end to end (issue 6): the per-layer table, JSON and PNG of a quantized
yolox_nano against its float original on the calibration images, and its error cases.

The ranking must agree with what quantizing one layer at a time found (quantize_checks.py's
docstring): Conv_44, Conv_47 and Conv_70 are the sensitive convolutions, Conv_44 by far the worst.
"""
import json
import os
import re

import cv2
import numpy as np
import onnx
from onnx import helper, TensorProto

from check_util import check, check_one_line_error, run

KNOWN_SENSITIVE = ("Conv_44", "Conv_47", "Conv_70")
TOP = 15
# The plot's layout (src/vision/bar_chart.cpp with log_scale, tools/edgezoo/analysis_plot.cpp).
PLOT_HEADER, PLOT_ROW, PLOT_MARGIN = 80, 28, 12
ISOLATED_BGR, ACCUMULATED_BGR = (20, 120, 230), (200, 90, 40)

ROW = re.compile(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+([0-9.]+|-)\s+([0-9.]+|-)\s+([0-9.]+)\s+([0-9.]+)\s*$")


def table_rows(stdout):
    return [m.groups() for m in map(ROW.match, stdout.splitlines()) if m]


def check_analyze(edgezoo, float_model, quant_model, list_path, samples, out_dir):
    """Runs analyze and checks its three outputs; returns the JSON (or None)."""
    js, png = os.path.join(out_dir, "analyze.json"), os.path.join(out_dir, "analyze.png")
    for p in (js, png):
        if os.path.exists(p):
            os.remove(p)
    r = run([edgezoo, "analyze", float_model, quant_model, "--dataset", list_path, "--json", js, "--plot", png,
             "--top", str(TOP), "--threads", "2"])
    if not check(r.returncode == 0, f"analyze runs {r.stderr.strip()[-300:] if r.returncode else ''}"):
        return None
    check(f"analyzing image {samples}/{samples}" in r.stderr or f"] {samples}/{samples}" in r.stderr,
          "analyze shows progress on stderr")
    with open(js) as f:
        rep = json.load(f)
    layers = rep["layers"]
    convs = {n.name for n in onnx.load(quant_model).graph.node if n.op_type == "Conv"}
    by_node = {l["node"]: l for l in layers}
    check(rep["samples"] == samples, f"analyze JSON: {rep['samples']} samples, {len(layers)} layers")
    check(convs <= set(by_node) and all(by_node[c]["isolated_cosine"] is not None for c in convs),
          f"analyze JSON: every one of the {len(convs)} Conv has isolated and accumulated figures")
    check([l["rank"] for l in layers] == list(range(1, len(layers) + 1)) and
          all(a["isolated_cosine"] <= b["isolated_cosine"] for a, b in zip(layers, layers[1:]) if b["isolated_cosine"] is not None),
          "analyze JSON: layers sorted by isolated damage")

    rows = table_rows(r.stdout)
    check(len(rows) == TOP and [int(x[0]) for x in rows] == list(range(1, TOP + 1)) and
          [x[1] for x in rows] == [l["node"] for l in layers[:TOP]],
          f"analyze table: {len(rows)} rows (--top {TOP}) in the JSON's order, first {rows[0][1] if rows else '-'}")
    check(all(abs(float(x[3]) - l["isolated_cosine"]) < 1e-5 and abs(float(x[5]) - l["accumulated_cosine"]) < 1e-5
              for x, l in zip(rows, layers)), "analyze table: the figures are the JSON's")
    rank = {l["node"]: l["rank"] for l in layers}
    print("     known sensitive convs rank " + ", ".join(f"{n} #{rank.get(n)}" for n in KNOWN_SENSITIVE))
    check(layers[0]["node"] == "Conv_44", f"analyze: the most damaging layer is Conv_44 (got {layers[0]['node']})")
    check(all(rank.get(n, 1e9) <= 10 for n in KNOWN_SENSITIVE), "analyze: Conv_44, Conv_47, Conv_70 all among the 10 worst")
    out, dep = rep["outputs"][0], rep["outputs_deployed"][0]
    check(abs(out["cosine"] - dep["cosine"]) < 0.01 and out["cosine"] < 1,
          f"analyze: output cosine {out['cosine']:.6f} (as written) vs {dep['cosine']:.6f} (deployed session)")
    check(len(rep["samples_deployed"]) == samples, "analyze JSON: a cosine per sample")

    img = cv2.imread(png)
    ok = img is not None
    if ok:
        want_h = PLOT_HEADER + TOP * PLOT_ROW + PLOT_MARGIN
        iso = np.all(img == ISOLATED_BGR, axis=2).sum()
        acc = np.all(img == ACCUMULATED_BGR, axis=2).sum()
        ok = img.shape[0] == want_h and img.shape[1] >= 1000 and iso > 1000 and acc > 1000
        print(f"     plot {img.shape[1]}x{img.shape[0]}, {iso} isolated and {acc} accumulated bar pixels")
    check(ok, "analyze writes a PNG with one row per layer and both series drawn")
    return rep


def analyze_error_cases(edgezoo, float_model, quant_model, list_path, tmp):
    js, png = os.path.join(tmp, "never.json"), os.path.join(tmp, "never.png")
    outs = ["--json", js, "--plot", png]

    def case(args, expect, name):
        check_one_line_error(run([edgezoo, "analyze", *args, *outs]), expect, "analyze " + name, [js, png])

    case([float_model, os.path.join(tmp, "no_such_int8.onnx"), "--dataset", list_path], "no_such_int8.onnx", "missing model")
    other = os.path.join(tmp, "other.onnx")
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["output"], name="relu")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 8, 8])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), other)
    case([float_model, other, "--dataset", list_path], "do not match", "mismatched models")
    empty = os.path.join(tmp, "empty_analyze.txt")
    with open(empty, "w") as f:
        f.write("# nothing\n")
    case([float_model, quant_model, "--dataset", empty], "names no image", "empty list")
