#!/usr/bin/python3
"""The RKNN-compatible API (include/edgezoo/rknn_api.h, librknnrt.so) end to end: the C program
rknn_api_test feeds a letterboxed picture as uint8 NHWC pixels, as board code does, and its
output must equal `edgezoo run` on the tensor the normalisation stands for, computed here:
(pixel - mean) / std in float32, NCHW. Both run the same session on the same float values, so the
outputs must be identical (tolerance 0): a difference would be a conversion error in the shim.

Models: YOLOv8n and RetinaFace after `edgezoo convert` (the zoo's pre-processing written into the
metadata: std 255, RGB; mean 104/117/123, BGR), PP-OCRv4 det after `edgezoo convert --shape
x=1x3x640x640 --mean/--std` (its dynamic input fixed, ImageNet mean/std), YOLOX-Nano as it is (no metadata: pixels are only
converted, which is YOLOX's pre-processing), and YOLOX-Nano quantized by `edgezoo quantize` (int8
QDQ, which writes the metadata itself).

Usage: rknn_checks.py RKNN_API_TEST EDGEZOO [--data DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "ort"))
from ort_agreement import letterbox  # noqa: E402  (the zoo's letterbox, cv2's resize)
sys.path.insert(0, os.path.join(ROOT, "tests", "quant"))
from check_util import check, failures  # noqa: E402  (pass/fail lines)


def metadata(path):
    """The model's rknn.* metadata entries."""
    return {p.key: p.value for p in onnx.load(path).metadata_props if p.key.startswith("rknn.")}


def case(name, model, picture, size, bgr, mean, std, rknn_test, edgezoo, tmp):
    img = letterbox(cv2.imread(picture), size, size)
    pixels = img if bgr else img[:, :, ::-1]
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)  # H x W x 3, NHWC
    pix_path = os.path.join(tmp, f"{name}.u8")
    pixels.tofile(pix_path)
    out_path = os.path.join(tmp, f"{name}.f32")
    r = subprocess.run([rknn_test, model, pix_path, out_path], capture_output=True, text=True)
    print("\n".join("     " + l for l in r.stdout.splitlines() if not l.startswith("ok")))
    if not check(r.returncode == 0, f"{name}: rknn_api_test passes every check {r.stderr.strip()[-400:]}"):
        return
    x = pixels.astype(np.float32).transpose(2, 0, 1)[None]
    x = (x - np.array(mean, np.float32).reshape(1, 3, 1, 1)) / np.array(std, np.float32).reshape(1, 3, 1, 1)
    in_path = os.path.join(tmp, f"{name}_in.npy")
    np.save(in_path, np.ascontiguousarray(x.astype(np.float32)))
    graph = onnx.load(model).graph
    onnx_input, first_output = graph.input[0].name, graph.output[0].name
    ref_dir = os.path.join(tmp, f"{name}_ref")
    r = subprocess.run([edgezoo, "run", model, "--input", f"{onnx_input}={in_path}", "-o", ref_dir], capture_output=True, text=True)
    if not check(r.returncode == 0, f"{name}: edgezoo run {r.stderr.strip()[-300:]}"):
        return
    ref = np.load(os.path.join(ref_dir, "".join(c if c.isalnum() or c in "_.-" else "_" for c in first_output) + ".npy"))
    ours = np.fromfile(out_path, np.float32)
    same_size = ours.size == ref.size
    diff = float(np.abs(ours - ref.ravel()).max()) if same_size else float("inf")
    check(same_size and diff == 0, f"{name}: the rknn API's output 0 equals edgezoo run on (pixel - mean) / std "
                                   f"({ref.size} values, max abs diff {diff:g})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rknn_test")
    ap.add_argument("edgezoo")
    ap.add_argument("--data", default=os.environ.get("EDGEZOO_DATA", os.path.join(ROOT, "..", "shared", "data")))
    args = ap.parse_args()
    models = os.path.join(args.data, "models")
    bus = os.path.join(args.data, "images", "bus.jpg")
    face = os.path.join(args.data, "images", "face.jpg")
    with tempfile.TemporaryDirectory() as tmp:
        # convert: the zoo's pre-processing into the metadata.
        converted = {}
        for stem in ("yolov8n", "retinaface_mobile0.25"):
            out = os.path.join(tmp, f"{stem}_rknn.onnx")
            r = subprocess.run([args.edgezoo, "convert", os.path.join(models, f"{stem}.onnx"), "-o", out], capture_output=True, text=True)
            check(r.returncode == 0 and os.path.exists(out), f"edgezoo convert {stem} {r.stderr.strip()}")
            converted[stem] = out
        md = metadata(converted["yolov8n"])
        check(md.get("rknn.mean_values") == "0,0,0" and md.get("rknn.std_values") == "255,255,255" and "RGB" in md.get("rknn.custom_string", ""),
              f"yolov8n: convert writes mean 0, std 255, RGB ({md})")
        md = metadata(converted["retinaface_mobile0.25"])
        check(md.get("rknn.mean_values") == "104,117,123" and md.get("rknn.std_values") == "1,1,1" and "BGR" in md.get("rknn.custom_string", ""),
              f"retinaface: convert writes mean 104,117,123, std 1, BGR ({md})")
        r = subprocess.run([args.edgezoo, "convert", os.path.join(tmp, "missing.onnx"), "-o", os.path.join(tmp, "never.onnx")],
                           capture_output=True, text=True)
        check(r.returncode != 0 and "missing.onnx" in r.stderr and not os.path.exists(os.path.join(tmp, "never.onnx")),
              f"convert of a missing model: error naming it, nothing written ({r.stderr.strip()})")

        case("yolov8n", converted["yolov8n"], bus, 640, False, [0, 0, 0], [255, 255, 255], args.rknn_test, args.edgezoo, tmp)
        case("retinaface", converted["retinaface_mobile0.25"], face, 640, True, [104, 117, 123], [1, 1, 1], args.rknn_test, args.edgezoo, tmp)
        # PP-OCRv4 det: dynamic input shape, fixed by convert --shape; ImageNet mean/std per channel.
        det = os.path.join(tmp, "ppocrv4_det_rknn.onnx")
        r = subprocess.run([args.edgezoo, "convert", os.path.join(args.data, "ocr", "ppocrv4_det.onnx"), "--shape", "x=1x3x640x640",
                            "--mean", "123.675,116.28,103.53", "--std", "58.395,57.12,57.375", "--rgb", "-o", det], capture_output=True, text=True)
        if check(r.returncode == 0, f"edgezoo convert ppocrv4_det --shape x=1x3x640x640 --mean/--std/--rgb {r.stderr.strip()}"):
            dims = [d.dim_value for d in onnx.load(det).graph.input[0].type.tensor_type.shape.dim]
            check(dims == [1, 3, 640, 640], f"convert fixes the input shape in the model ({dims})")
            case("ppocrv4_det", det, os.path.join(args.data, "ocr", "images", "11.jpg"), 640, False, [123.675, 116.28, 103.53],
                 [58.395, 57.12, 57.375], args.rknn_test, args.edgezoo, tmp)
        case("yolox_nano_plain", os.path.join(models, "yolox_nano.onnx"), bus, 416, True, [0, 0, 0], [1, 1, 1], args.rknn_test,
             args.edgezoo, tmp)
        # A QDQ int8 model: quantize writes the metadata too.
        listing = os.path.join(tmp, "calib.txt")
        with open(listing, "w") as f:
            f.write(bus + "\n" + os.path.join(args.data, "images", "zidane.jpg") + "\n")
        q = os.path.join(tmp, "yolox_nano_int8.onnx")
        r = subprocess.run([args.edgezoo, "quantize", os.path.join(models, "yolox_nano.onnx"), "--dataset", listing, "-o", q, "--no-check"],
                           capture_output=True, text=True)
        if check(r.returncode == 0, f"quantize yolox_nano {r.stderr.strip()[-300:]}"):
            md = metadata(q)
            check(md.get("rknn.mean_values") == "0,0,0" and md.get("rknn.std_values") == "1,1,1", f"quantize writes the metadata ({md})")
            case("yolox_nano_int8", q, bus, 416, True, [0, 0, 0], [1, 1, 1], args.rknn_test, args.edgezoo, tmp)
    print(f"rknn_checks: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
