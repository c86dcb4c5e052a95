#!/usr/bin/python3
"""The Python module `edgezoo` (python/edgezoo_module.cpp): onnxruntime's InferenceSession
interface. Its outputs equal `edgezoo run` on the same input (the same session, tolerance 0) and
agree with ONNX Runtime as the ort_agreement test asks (cosine >= 0.99999, max abs diff <= 1e-4 of
the output range); inputs and outputs are described as onnxruntime describes them; dynamic input
shapes are fixed with shapes={...}; two Python threads run two sessions at once (run releases the
GIL) with the same results; every bad feed raises ValueError naming what is wrong.

Usage: python_checks.py MODULE_DIR EDGEZOO [--data DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import threading

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "ort"))
from ort_agreement import ORT_RUN, compare, make_input  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "tests", "quant"))
from check_util import check, failures  # noqa: E402  (pass/fail lines)


def raises(kind, needle, what, f):
    try:
        f()
    except kind as e:
        return check(needle in str(e), f"{what}: {kind.__name__}: {e}")
    except Exception as e:  # noqa: BLE001
        return check(False, f"{what}: {type(e).__name__} instead of {kind.__name__}: {e}")
    return check(False, f"{what}: no exception")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("module_dir")
    ap.add_argument("edgezoo")
    ap.add_argument("--data", default=os.environ.get("EDGEZOO_DATA", os.path.join(ROOT, "..", "shared", "data")))
    args = ap.parse_args()
    sys.path.insert(0, args.module_dir)
    import edgezoo  # noqa: E402

    model = os.path.join(args.data, "models", "yolox_nano.onnx")
    feed = make_input("yolox_nano", args.data)
    s = edgezoo.InferenceSession(model, threads=2)
    ins, outs = s.get_inputs(), s.get_outputs()
    check([(i.name, i.shape, i.type) for i in ins] == [("images", [1, 3, 416, 416], "tensor(float)")],
          f"get_inputs as onnxruntime describes them: {[(i.name, i.shape, i.type) for i in ins]}")
    check([(o.name, o.type) for o in outs] == [("output", "tensor(float)")], f"get_outputs: {outs}")
    [out] = s.run(None, feed)
    check(out.shape == (1, 3549, 85) and out.dtype == np.float32, f"run returns numpy arrays: {out.shape} {out.dtype}")
    [named] = s.run(["output"], feed)
    check(np.array_equal(named, out), "run with output names")

    with tempfile.TemporaryDirectory() as tmp:
        x = os.path.join(tmp, "x.npy")
        np.save(x, feed["images"])
        r = subprocess.run([args.edgezoo, "run", model, "--input", f"images={x}", "--threads", "2", "-o", os.path.join(tmp, "ez")],
                           capture_output=True, text=True)
        if check(r.returncode == 0, f"edgezoo run {r.stderr.strip()}"):
            ref = np.load(os.path.join(tmp, "ez", "output.npy"))
            check(np.array_equal(ref, out), f"equal to edgezoo run's output (max abs diff {float(np.abs(ref - out).max()):g})")
        r = subprocess.run(["node", ORT_RUN, model, "--input", f"images={x}", "--output-dir", os.path.join(tmp, "ort")],
                           capture_output=True, text=True)
        if check(r.returncode == 0, f"ONNX Runtime runs the model {r.stderr.strip()[-300:]}"):
            cos, maxdiff, rng = compare(out, np.load(os.path.join(tmp, "ort", "output.npy")))
            check(cos >= 0.99999 and maxdiff <= 1e-4 * rng, f"agrees with ONNX Runtime: cosine {cos:.8f}, max abs diff {maxdiff:.3g} of range {rng:.3g}")

        # metadata: what `edgezoo convert` wrote, None when absent.
        conv = os.path.join(tmp, "yolox_rknn.onnx")
        subprocess.run([args.edgezoo, "convert", model, "-o", conv], capture_output=True)
        c = edgezoo.InferenceSession(conv)
        check(c.metadata("rknn.std_values") == "1,1,1" and s.metadata("rknn.std_values") is None, "metadata(): convert's entry, None when absent")

    # Two threads, two sessions, at once: the same outputs as one after the other.
    other = edgezoo.InferenceSession(model, threads=1)
    results = {}

    def work(name, sess):
        results[name] = sess.run(None, feed)[0]

    threads = [threading.Thread(target=work, args=(n, x)) for n, x in (("a", s), ("b", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(np.array_equal(results["a"], out) and np.array_equal(results["b"], out), "two sessions run in two threads at once give the same outputs")

    # A dynamic input: fixed with shapes=.
    det = os.path.join(args.data, "ocr", "ppocrv4_det.onnx")
    raises(ValueError, "shapes=", "a dynamic input without shapes", lambda: edgezoo.InferenceSession(det))
    d = edgezoo.InferenceSession(det, shapes={"x": [1, 3, 320, 320]})
    check(d.get_inputs()[0].shape == [1, 3, 320, 320] and d.run(None, {"x": np.zeros((1, 3, 320, 320), np.float32)})[0].shape == (1, 1, 320, 320),
          "shapes={'x': [1, 3, 320, 320]} fixes PP-OCRv4 det's dynamic input")

    # Bad input: a clear exception each, the session still usable after.
    img = feed["images"]
    raises(ValueError, "float64", "a float64 array for a float input", lambda: s.run(None, {"images": img.astype(np.float64)}))
    raises(ValueError, "[1,3,416,416], got [1,3,400,416]", "a wrong shape", lambda: s.run(None, {"images": img[:, :, :400]}))
    raises(ValueError, "missing", "a missing input", lambda: s.run(None, {}))
    raises(ValueError, "no input 'extra'", "an unknown input name", lambda: s.run(None, {"images": img, "extra": img}))
    raises(ValueError, "no output 'nope'", "an unknown output name", lambda: s.run(["nope"], {"images": img}))
    raises(RuntimeError, "nope.onnx", "a missing model file", lambda: edgezoo.InferenceSession("/nonexistent/nope.onnx"))
    with tempfile.NamedTemporaryFile(suffix=".onnx") as f:
        f.write(open(model, "rb").read()[:50000])
        f.flush()
        raises(RuntimeError, "not a valid ONNX", "a truncated model", lambda: edgezoo.InferenceSession(f.name))
    strided = np.asfortranarray(img)  # not C-contiguous: copied, same result
    check(np.array_equal(s.run(None, {"images": strided})[0], out), "a non-contiguous array gives the same output (and the session survived the errors)")
    print(f"python_checks: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
