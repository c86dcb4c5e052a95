#!/usr/bin/python3
"""edgezoo eval imagenet on a constructed case with a known answer. The data folder holds no
labelled classifier, so the test builds one: a 4-class "colour classifier" (global average pool,
then a fixed 3x4 matrix: class 0 = red, 1 = green, 2 = blue, 3 = a constant), and five solid-colour
pictures, one of them deliberately mislabelled. Expected: top-1 = 4/5 exactly, top-5 = 5/5 (only
4 classes). Pre-processing is the default ImageNet one (resize 256, centre crop, mean/std).

Usage: eval_imagenet_check.py EDGEZOO_BINARY
"""
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    ez = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        w = np.array([[3, -1, -1, 0], [-1, 3, -1, 0], [-1, -1, 3, 0]], np.float32)
        nodes = [helper.make_node("GlobalAveragePool", ["x"], ["p"]),
                 helper.make_node("Flatten", ["p"], ["f"]),
                 helper.make_node("MatMul", ["f", "w"], ["logits"])]
        g = helper.make_graph(nodes, "colour", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 224, 224])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 4])],
                              initializer=[numpy_helper.from_array(w, "w")])
        model = os.path.join(tmp, "colour.onnx")
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), model)
        colours = {"red.png": (0, 0, 255), "green.png": (0, 255, 0), "blue.png": (255, 0, 0),
                   "red2.jpg": (10, 20, 230), "blue_wrong.png": (250, 5, 5)}  # BGR for cv2
        labels = {"red.png": 0, "green.png": 1, "blue.png": 2, "red2.jpg": 0, "blue_wrong.png": 1}
        for name, bgr in colours.items():
            cv2.imwrite(os.path.join(tmp, name), np.full((300, 400, 3), bgr, np.uint8))
        with open(os.path.join(tmp, "val.txt"), "w") as f:
            f.writelines(f"{n} {labels[n]}\n" for n in colours)
        p = subprocess.run([ez, "eval", "imagenet", model, "--images", tmp, "--labels", os.path.join(tmp, "val.txt")],
                           capture_output=True, text=True)
        print(p.stdout.strip(), p.stderr.strip())
        ok = p.returncode == 0 and "top-1 0.8000" in p.stdout and "top-5 1.0000" in p.stdout
        bad = subprocess.run([ez, "eval", "imagenet", model, "--images", tmp, "--labels", os.path.join(tmp, "none.txt")],
                             capture_output=True, text=True)
        ok_err = bad.returncode != 0 and "none.txt" in bad.stderr
        print(f"{'ok  ' if ok else 'FAIL'} colour classifier: top-1 4/5, top-5 5/5")
        print(f"{'ok  ' if ok_err else 'FAIL'} missing label list: {bad.stderr.strip()}")
        print(f"eval_imagenet_check: {ok + ok_err} passed, {2 - ok - ok_err} failed")
        return 0 if ok and ok_err else 1


if __name__ == "__main__":
    sys.exit(main())
