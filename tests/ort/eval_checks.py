#!/usr/bin/python3
"""edgezoo eval coco (issue 5): yolox_nano on coco/val_subset gives the same 12 COCO figures, to
1e-3, as the same pipeline with ONNX Runtime as the inference engine (edgezoo saves every input
tensor, ONNX Runtime runs them all in one session, edgezoo decodes and scores its outputs);
the same run on the Ultralytics-format coco8 set works too.

Usage: eval_checks.py EDGEZOO_BINARY [--data DIR] [--json OUT]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("edgezoo")
    ap.add_argument("--data", default=os.environ.get("EDGEZOO_DATA", os.path.join(ROOT, "..", "shared", "data")))
    ap.add_argument("--json")
    args = ap.parse_args()
    model = os.path.join(args.data, "models", "yolox_nano.onnx")
    coco = ["--images", os.path.join(args.data, "coco", "val_subset"),
            "--annotations", os.path.join(args.data, "coco", "instances_val_subset.json")]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        ins, outs = os.path.join(tmp, "in"), os.path.join(tmp, "out")
        os.makedirs(ins)
        ours, ref = os.path.join(tmp, "ours.json"), os.path.join(tmp, "ort.json")
        steps = [
            [args.edgezoo, "eval", "coco", model, *coco, "--save-inputs", ins, "--report", ours],
            ["node", os.path.join(ROOT, "tools", "ort", "ort_run.js"), model, "--batch-dir", ins, "--output-dir", outs, "--threads", "2"],
            [args.edgezoo, "eval", "coco", model, *coco, "--outputs", outs, "--report", ref],
        ]
        for cmd in steps:
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                print(f"FAIL {' '.join(cmd[:3])}: {p.stderr.strip()}")
                print("eval_checks: 0 passed, 1 failed")
                return 1
            if cmd is steps[0]:
                print(p.stdout)
        a, b = json.load(open(ours)), json.load(open(ref))
        diff = max(abs(x - y) for x, y in zip(a["stats"], b["stats"]))
        ok = diff <= 1e-3
        passed += ok
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} val_subset: AP50-95 {a['stats'][0]:.4f} / AP50 {a['stats'][1]:.4f} with edgezoo, "
              f"{b['stats'][0]:.4f} / {b['stats'][1]:.4f} with ONNX Runtime as the engine; largest of the 12 differences {diff:.2e}; "
              f"{a['images_per_s']:.1f} images/s")
        if args.json:
            json.dump({"edgezoo": a, "onnxruntime_engine": b, "max_abs_diff": diff}, open(args.json, "w"), indent=1)

        p = subprocess.run([args.edgezoo, "eval", "coco", model, "--annotations", os.path.join(args.data, "ultralytics", "coco8")],
                           capture_output=True, text=True)
        ok = p.returncode == 0 and p.stdout.count("Average") == 12
        passed += ok
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} coco8 (YOLO labels): " + (p.stdout.splitlines()[0] if ok else p.stderr.strip()))
    print(f"eval_checks: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
