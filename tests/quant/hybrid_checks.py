"""`edgezoo quantize --hybrid auto` (issue 6): the report says which layers stayed in float (or got
16-bit inputs, --hybrid-as int16) and
that the target output cosine was reached on the calibration images; ONNX Runtime, an engine
independent of the search, confirms that cosine on the same images to within ORT_TOLERANCE (the
two engines' int8 arithmetic differ by rounding steps, see quantize_checks.py: edgezoo vs ORT is
held to 0.995 on one image)."""
import os

import cv2
import numpy as np
import onnx

from check_util import check, run

ORT_TOLERANCE = 0.005


def check_hybrid_report(rep, model_path, label="hybrid"):
    """The layers the search kept out of int8 (in float, or with 16-bit inputs for --hybrid-as int16)."""
    h = rep.get("hybrid")
    if not check(h is not None, f"{label}: the --json report has a 'hybrid' section"):
        return []
    how = "with 16-bit inputs" if h["kept_as"] == "int16" else "in float"
    convs = {n.name for n in onnx.load(model_path).graph.node if n.op_type == "Conv"}
    print(f"     {label} kept {how}: {', '.join(h['kept'])} ({len(h['trials'])} candidates scored, "
          f"analysis {h['analysis_s']:.1f} s, search {h['search_s']:.1f} s)")
    check(h["target_met"] and h["cosine"] >= h["target_cosine"],
          f"{label}: output cosine {h['cosine']:.6f} >= target {h['target_cosine']} on the calibration images "
          f"(all int8 {h['cosine_all_int8']:.6f}, worst image {h['worst_sample_cosine']:.6f})")
    check(len(h["kept"]) < h["ranked_layers"] and set(h["kept"]) <= convs,
          f"{label}: {len(h['kept'])} of {h['ranked_layers']} quantized convolutions kept {how}")
    if h["cosine_all_int8"] < h["target_cosine"]:
        check(len(h["kept"]) > 0 and "Conv_44" in h["kept"], f"{label} keeps Conv_44 (whose 8-bit input costs the most) {how}")
    else:  # the all-int8 model meets the target already: the fewest layers to keep are none
        check(h["kept"] == [] and len(h["trials"]) == 1,
              f"{label}: all int8 meets the target ({h['cosine_all_int8']:.6f}), nothing kept, one candidate scored")
    check(len(h["analysis"]["layers"]) > 0 and h["analysis"]["samples"] == rep["samples"], f"{label}: the analysis is in the report")
    if h["kept_as"] == "int16":
        check(sorted(rep["int16_nodes"]) == sorted(h["kept"]) and rep["int16_activations"] == len(h["kept"]),
              f"{label}: the report's int16 nodes {rep['int16_nodes']} are the kept layers, each reading one 16-bit activation")
    return h["kept"]


def ort_dataset_cosine(ort_run, float_model, quant_model, images, letterbox, tmp):
    """Cosine of the quantized model's outputs against float over all images (ORT runs both)."""
    in_dir = os.path.join(tmp, "hybrid_inputs")
    os.makedirs(in_dir, exist_ok=True)
    for i, p in enumerate(images):
        x = letterbox(cv2.imread(p), 416, 416).astype(np.float32).transpose(2, 0, 1)[None]  # BGR 0-255 (yolox)
        np.save(os.path.join(in_dir, f"{i:03d}.npy"), np.ascontiguousarray(x))
    outs = {}
    for tag, m in (("float", float_model), ("int8", quant_model)):
        d = os.path.join(tmp, "hybrid_ort_" + tag)
        r = run(["node", ort_run, m, "--batch-dir", in_dir, "--output-dir", d, "--threads", "2"])
        if r.returncode != 0:
            return None, r.stderr.strip()[-300:]
        outs[tag] = d
    dot = ff = qq = 0.0
    for stem in sorted(os.listdir(outs["float"])):
        for f in os.listdir(os.path.join(outs["float"], stem)):
            a = np.load(os.path.join(outs["float"], stem, f)).astype(np.float64).ravel()
            b = np.load(os.path.join(outs["int8"], stem, f)).astype(np.float64).ravel()
            dot, ff, qq = dot + a @ b, ff + a @ a, qq + b @ b
    return dot / np.sqrt(ff * qq), ""


def check_hybrid_with_ort(ort_run, float_model, quant_model, images, letterbox, target, tmp, label="hybrid"):
    cos, err = ort_dataset_cosine(ort_run, float_model, quant_model, images, letterbox, tmp)
    if check(cos is not None, f"{label}: ONNX Runtime runs the hybrid model on the {len(images)} calibration images {err}"):
        check(cos >= target - ORT_TOLERANCE,
              f"{label}: ONNX Runtime's int8 vs float cosine over the calibration images {cos:.6f} >= {target} - {ORT_TOLERANCE}")
    return cos
