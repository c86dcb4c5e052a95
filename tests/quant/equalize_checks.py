"""Equalization and bias correction in `edgezoo quantize` (the default; quantize_checks.py).

yolox_nano's first depthwise convolution, Conv_44, reads a tensor (input.7) whose 16 channels span
from 0.2 to 124 while its weights multiply the narrow channels by up to 23: one per-tensor uint8
step rounds them to two or three levels, which alone cost 5 AP points and made Conv_44 the worst
layer by far. The quantizer now scales each channel of a tensor that only depthwise convolutions
read (a Mul by constants before the per-tensor QuantizeLinear, 1/s folded into the per-channel
weights: exact in float) and corrects every bias for the mean output shift quantization causes.

Checked here, on the written model and its --json report:
- the report's counts and flags; Conv_44's input among the equalized tensors with a wide scale;
- each equalized tensor is written as x -> Mul(x, float[1,C,1,1]) -> QuantizeLinear -> DQ, read
  only by depthwise convolutions (group = C); the legacy model (--no-equalize
  --no-bias-correction) has no such Mul and no corrected bias;
- `edgezoo analyze` of both against float: Conv_44's isolated damage is gone and the output
  cosine on the calibration images rises.
"""
import json
import os

import onnx
from onnx import numpy_helper

from check_util import check, run


def equalized_chains(model_path):
    """{tensor: (channel scales, [readers of its DQ])} for every x -> Mul(x, const) -> QuantizeLinear."""
    m = onnx.load(model_path)
    inits = {t.name: t for t in m.graph.initializer}
    producers = {o: n for n in m.graph.node for o in n.output}
    readers = {}
    for n in m.graph.node:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    chains = {}
    for q in m.graph.node:
        if q.op_type != "QuantizeLinear" or q.input[0] not in producers:
            continue
        mul = producers[q.input[0]]
        if mul.op_type != "Mul" or mul.input[1] not in inits:
            continue
        dq_readers = [r for dq in readers.get(q.output[0], []) if dq.op_type == "DequantizeLinear"
                      for r in readers.get(dq.output[0], [])]
        chains[mul.input[0]] = (numpy_helper.to_array(inits[mul.input[1]]), dq_readers,
                                [r.op_type for r in readers.get(mul.output[0], [])])
    return chains


def check_equalized_model(model_path, rep, label):
    chains = equalized_chains(model_path)
    tensors = {t["name"]: t for t in rep["tensors"]}
    eq = rep.get("equalized_activations", 0)
    check(rep.get("equalize") is True and rep.get("bias_correction") is True, f"{label}: report says equalize and bias correction on")
    check(eq >= 20 and len(chains) == eq, f"{label}: {eq} activations equalized (measured 25), {len(chains)} Mul->QuantizeLinear chains written")
    check(rep.get("corrected_biases") == rep["quantized_nodes"] == rep["int32_biases"],
          f"{label}: {rep.get('corrected_biases')} of {rep['quantized_nodes']} biases corrected (every conv of yolox_nano has one)")
    check(rep.get("error_pass_s", 0) > 0, f"{label}: quantization error pass {rep.get('error_pass_s', 0):.2f} s, "
          f"calibration {rep['calibration_s']:.2f} s")
    wide = tensors.get("input.7", {}).get("channel_scale", [])
    check("input.7" in chains and len(wide) == 16 and max(wide) > 50,
          f"{label}: Conv_44's input input.7 equalized, channel scales up to {max(wide) if wide else 0:.1f}")
    ok = True
    for x, (scales, convs, mul_readers) in chains.items():
        c = scales.shape[1] if scales.ndim == 4 else -1
        groups = [next((a.i for a in n.attribute if a.name == "group"), 1) for n in convs]
        ok &= (scales.ndim == 4 and scales.shape[0] == 1 and scales.shape[2:] == (1, 1) and scales.min() >= 1 and
               mul_readers == ["QuantizeLinear"] and len(convs) > 0 and all(n.op_type == "Conv" for n in convs) and
               all(g == c for g in groups) and len(tensors.get(x, {}).get("channel_scale", [])) == c)
    check(ok, f"{label}: every equalized tensor is Mul(x, float[1,C,1,1] >= 1) -> QuantizeLinear, read by depthwise convs only")


def check_legacy_model(model_path, rep, label):
    check(rep.get("equalize") is False and rep.get("bias_correction") is False and rep.get("equalized_activations") == 0 and
          rep.get("corrected_biases") == 0 and not equalized_chains(model_path),
          f"{label}: --no-equalize --no-bias-correction writes no Mul before a quantizer and keeps the float biases")


def analyze_json(edgezoo, float_model, quant_model, list_path, out_dir, tag):
    js = os.path.join(out_dir, f"analyze_{tag}.json")
    r = run([edgezoo, "analyze", float_model, quant_model, "--dataset", list_path, "--json", js, "--threads", "2"])
    if not check(r.returncode == 0, f"analyze {tag} runs {r.stderr.strip()[-300:] if r.returncode else ''}"):
        return None
    with open(js) as f:
        return json.load(f)


def check_conv44_repaired(legacy, default):
    """Per-layer evidence: the layer equalization is for, before and after."""
    if legacy is None or default is None:
        return
    lay = {l["node"]: l for l in legacy["layers"]}
    dft = {l["node"]: l for l in default["layers"]}
    a, b = lay["Conv_44"]["isolated_cosine"], dft["Conv_44"]["isolated_cosine"]
    check(a < 0.997 and b is not None and b > 0.9995,
          f"analyze: Conv_44 isolated cosine {a:.6f} without equalization, {b:.6f} with (its input traced through the Mul)")
    worst = default["layers"][0]
    check(worst["isolated_cosine"] > 0.999, f"analyze: with equalization the worst layer alone is {worst['node']} at "
          f"{worst['isolated_cosine']:.6f} > 0.999")
    co, cn = legacy["outputs"][0]["cosine"], default["outputs"][0]["cosine"]
    check(cn > co + 0.05 and cn > 0.97, f"analyze: output cosine on the calibration images {co:.6f} -> {cn:.6f}")
