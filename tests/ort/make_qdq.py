#!/usr/bin/env python3
"""Writes a QDQ-quantized copy of a float ONNX model for runtime tests (not a calibration tool:
edgezoo's own `quantize` is that). Ranges come from one calibration input run through ONNX
Runtime; every Conv gets the layout ONNX Runtime's QDQ quantizer writes:
  activations in and out: QuantizeLinear/DequantizeLinear, per tensor, asymmetric uint8 (min/max);
  weights: per-output-channel symmetric int8 initializers behind a DequantizeLinear (axis 0);
  bias: int32 at scale s_x*s_w behind a DequantizeLinear.
Everything else (SiLU, Concat, Resize, ...) stays float between a DequantizeLinear and a
QuantizeLinear, as in ORT-quantized models whose other ops are left in float.

With --reduce-range the weights use 7 bits ([-64, 64], ONNX Runtime's reduce_range): then no two
weights of a channel sum past 128 and CPUs without VNNI, whose u8 x s8 instruction (vpmaddubsw)
adds two products into a saturating int16, compute every convolution exactly.

Usage: make_qdq.py FLOAT.onnx CALIB.npy OUT.onnx [--reduce-range]   (CALIB: the model's single input)
Needs /usr/bin/python3 with numpy + onnx, and node with onnxruntime-node (tools/ort/ort_run.js).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ORT_RUN = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tools", "ort", "ort_run.js")


def safe(name):
    return "".join(c if c.isalnum() or c in "_.-" else "_" for c in name)


def activation_ranges(model, names, calib, tmp):
    """min/max of the named tensors on the calibration input (ONNX Runtime)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    existing = {o.name for o in m.graph.output}
    for n in names:
        if n not in existing:
            m.graph.output.append(helper.make_tensor_value_info(n, TensorProto.FLOAT, None))
    path = os.path.join(tmp, "ranges.onnx")
    onnx.save(m, path)
    inp = [i.name for i in m.graph.input if i.name not in {t.name for t in m.graph.initializer}][0]
    subprocess.run(["node", ORT_RUN, path, "--input", f"{inp}={calib}", "--output-dir", tmp], check=True)
    out = {}
    for n in names:
        a = np.load(os.path.join(tmp, safe(n) + ".npy"))
        out[n] = (float(min(a.min(), 0.0)), float(max(a.max(), 0.0)))
    return out


def main():
    src, calib, dst = sys.argv[1:4]
    wmax = 64.0 if "--reduce-range" in sys.argv[4:] else 127.0
    model = onnx.load(src)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    convs = [n for n in g.node if n.op_type == "Conv" and n.input[1] in inits]
    acts = sorted({n.input[0] for n in convs} | {n.output[0] for n in convs})
    with tempfile.TemporaryDirectory() as tmp:
        ranges = activation_ranges(model, acts, calib, tmp)

    new_inits, qdq_nodes = [], []
    qdq_of = {}  # tensor -> its dequantized name

    def qparams(name):
        lo, hi = ranges[name]
        scale = max((hi - lo) / 255.0, 1e-8)
        zp = int(np.clip(round(-lo / scale), 0, 255))
        return np.float32(scale), np.uint8(zp)

    def add_init(name, arr):
        new_inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def qdq(name):
        if name in qdq_of:
            return qdq_of[name]
        s, z = qparams(name)
        sn, zn = add_init(name + "_scale", np.array(s, np.float32)), add_init(name + "_zp", np.array(z, np.uint8))
        qdq_nodes.append(helper.make_node("QuantizeLinear", [name, sn, zn], [name + "_q"], name=name + "_Q"))
        qdq_nodes.append(helper.make_node("DequantizeLinear", [name + "_q", sn, zn], [name + "_dq"], name=name + "_DQ"))
        qdq_of[name] = name + "_dq"
        return qdq_of[name]

    produced_by_conv = {n.output[0]: n for n in convs}
    new_nodes = []
    for node in g.node:
        if node in convs:
            w = numpy_helper.to_array(inits[node.input[1]]).astype(np.float32)
            sw = np.maximum(np.abs(w.reshape(w.shape[0], -1)).max(axis=1) / wmax, 1e-8).astype(np.float32)
            wq = np.clip(np.round(w / sw.reshape(-1, *([1] * (w.ndim - 1)))), -wmax, wmax).astype(np.int8)
            wn = node.input[1]
            add_init(wn + "_int8", wq)
            add_init(wn + "_wscale", sw)
            add_init(wn + "_wzp", np.zeros(w.shape[0], np.int8))
            x_dq = qdq(node.input[0])
            extra = [helper.make_node("DequantizeLinear", [wn + "_int8", wn + "_wscale", wn + "_wzp"], [wn + "_dqw"], axis=0,
                                      name=wn + "_DQW")]
            inputs = [x_dq, wn + "_dqw"]
            if len(node.input) > 2 and node.input[2]:
                b = numpy_helper.to_array(inits[node.input[2]]).astype(np.float32)
                sb = (qparams(node.input[0])[0] * sw).astype(np.float32)
                add_init(node.input[2] + "_int32", np.round(b / sb).astype(np.int32))
                add_init(node.input[2] + "_bscale", sb)
                add_init(node.input[2] + "_bzp", np.zeros(w.shape[0], np.int32))
                extra.append(helper.make_node("DequantizeLinear", [node.input[2] + "_int32", node.input[2] + "_bscale",
                                                                   node.input[2] + "_bzp"], [node.input[2] + "_dqb"], axis=0,
                                              name=node.input[2] + "_DQB"))
                inputs.append(node.input[2] + "_dqb")
            conv = helper.make_node("Conv", inputs, [node.output[0] + "_f"], name=node.name)
            conv.attribute.extend(node.attribute)
            new_nodes += [n for n in qdq_nodes]
            qdq_nodes.clear()
            new_nodes += extra + [conv]
            # The conv output: quantized, and its readers take the dequantized value.
            s, z = qparams(node.output[0])
            o = node.output[0]
            add_init(o + "_scale", np.array(s, np.float32))
            add_init(o + "_zp", np.array(z, np.uint8))
            new_nodes.append(helper.make_node("QuantizeLinear", [o + "_f", o + "_scale", o + "_zp"], [o + "_q"], name=o + "_Q"))
            new_nodes.append(helper.make_node("DequantizeLinear", [o + "_q", o + "_scale", o + "_zp"], [o], name=o + "_DQ"))
            qdq_of[o] = o  # already dequantized under its own name
        else:
            new_nodes.append(node)
    del produced_by_conv
    used = set()
    for n in new_nodes:
        used.update(n.input)
    kept = [t for t in g.initializer if t.name in used]
    del g.node[:]
    g.node.extend(new_nodes)
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    # QuantizeLinear's axis / per-channel DequantizeLinear need opset >= 13.
    for op in model.opset_import:
        if op.domain in ("", "ai.onnx") and op.version < 13:
            op.version = 13
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"{dst}: {len(convs)} convolutions quantized")


if __name__ == "__main__":
    main()
