"""PP-OCRv4 text detection quantized (issue 6, criterion 4): calibrated on the seven pictures of
ocr/images, the int8 model's probability map must agree with float's on each of them (cosine
>= 0.98) and keep the text boxes.

Boxes (a fair stand-in for DB's post-processing, PaddleOCR's defaults): a text box is a connected
region of the map above 0.3 whose mean probability is at least 0.6 (DB's box_thresh); regions
under MIN_AREA pixels are ignored (DB drops boxes with a side under 3 px; specks of a few pixels
on a 640x640 map are no readable text, and the int8 map adds or drops such specks at random).
Every float box must have an int8 box over it (bounding-box IoU >= 0.5) and every int8 box a
float one. The pixel IoU of the two maps thresholded at 0.3 must be >= 0.9 too.

The input is what the model card says (x 1x3x640x640, RGB, ImageNet mean/std on 0-1); pictures
are stretched to 640x640, both models get the same tensor.
"""
import glob
import os

import cv2
import numpy as np

from check_util import check, run

MEAN = "123.675,116.28,103.53"
STD = "58.395,57.12,57.375"
THRESH, BOX_THRESH, MIN_AREA = 0.3, 0.6, 50


def make_batch(images):
    mean = np.array([0.485, 0.456, 0.406], np.float32)
    std = np.array([0.229, 0.224, 0.225], np.float32)
    xs = []
    for p in images:
        x = cv2.resize(cv2.imread(p), (640, 640), interpolation=cv2.INTER_LINEAR)[:, :, ::-1].astype(np.float32) / 255
        xs.append(((x - mean) / std).transpose(2, 0, 1))
    return np.ascontiguousarray(np.stack(xs))


def prob_maps(edgezoo, model, batch_path, n, out_dir):
    r = run([edgezoo, "run", model, "--shape", f"x={n}x3x640x640", "--input", f"x={batch_path}", "--threads", "2", "-o", out_dir])
    if r.returncode != 0:
        return None, r.stderr.strip()[-300:]
    return np.load(os.path.join(out_dir, "sigmoid_0.tmp_0.npy"))[:, 0], ""


def text_boxes(prob):
    """DB-style boxes: (x, y, w, h) of the regions above THRESH with mean probability >= BOX_THRESH."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats((prob > THRESH).astype(np.uint8), connectivity=8)
    return [tuple(stats[i][:4]) for i in range(1, n)
            if stats[i][cv2.CC_STAT_AREA] >= MIN_AREA and prob[labels == i].mean() >= BOX_THRESH]


def box_iou(a, b):
    iw = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def matched(boxes, others):
    return sum(1 for b in boxes if any(box_iou(b, o) >= 0.5 for o in others))


def check_ppocr_det(edgezoo, data, work, tmp, quantize_args, label):
    """Quantizes PP-OCRv4 det with `quantize_args` and checks each picture; returns report rows."""
    model = os.path.join(data, "ocr", "ppocrv4_det.onnx")
    images = sorted(glob.glob(os.path.join(data, "ocr", "images", "*")))
    if not check(os.path.exists(model) and len(images) > 0, f"PP-OCRv4 det and {len(images)} pictures present"):
        return []
    list_path = os.path.join(work, "ocr_images.txt")
    with open(list_path, "w") as f:
        f.write("\n".join(images) + "\n")
    out = os.path.join(work, f"ppocrv4_det_int8_{label}.onnx")
    r = run([edgezoo, "quantize", model, "--shape", "x=1x3x640x640", "--mean", MEAN, "--std", STD, "--rgb",
             "--dataset", list_path, "-o", out, "--threads", "2", *quantize_args])
    if not check(r.returncode == 0, f"PP-OCRv4 det quantize {' '.join(quantize_args) or '(defaults)'} {r.stderr.strip()[-300:] if r.returncode else ''}"):
        return []
    batch_path = os.path.join(tmp, "ocr_batch.npy")
    np.save(batch_path, make_batch(images))
    f, err = prob_maps(edgezoo, model, batch_path, len(images), os.path.join(tmp, "ocr_float"))
    q, err2 = prob_maps(edgezoo, out, batch_path, len(images), os.path.join(tmp, "ocr_" + label))
    if not check(f is not None and q is not None, f"PP-OCRv4 det float and int8 run on the {len(images)} pictures {err}{err2}"):
        return []
    rows = []
    for i, path in enumerate(images):
        a, b = f[i].astype(np.float64).ravel(), q[i].astype(np.float64).ravel()
        cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
        ma, mb = f[i] > THRESH, q[i] > THRESH
        iou = float((ma & mb).sum() / max(1, (ma | mb).sum()))
        bf, bq = text_boxes(f[i]), text_boxes(q[i])
        kept, backed = matched(bf, bq), matched(bq, bf)
        name = os.path.basename(path)
        check(cos >= 0.98, f"PP-OCRv4 det {label} {name}: probability map cosine {cos:.5f} >= 0.98")
        check(kept == len(bf) and backed == len(bq) and iou >= 0.9,
              f"PP-OCRv4 det {label} {name}: {kept}/{len(bf)} text boxes kept, {backed}/{len(bq)} int8 boxes in float, "
              f"map IoU at {THRESH} {iou:.4f} >= 0.9")
        rows.append({"image": name, "cosine": cos, "map_iou": iou, "boxes": len(bf), "boxes_kept": kept,
                     "int8_boxes": len(bq), "int8_boxes_in_float": backed})
    return rows
