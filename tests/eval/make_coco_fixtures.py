#!/usr/bin/python3
"""Writes the COCO-evaluation test fixtures of tests/unit/eval_coco_eval_test.cpp.

  tests/eval/data/handmade_gt.json, handmade_dets.json
      a small hand-built case that walks every branch of COCOeval (see handmade() below)
  tests/eval/data/random_dets.json
      detections for <data>/coco/instances_val_subset.json: jittered ground-truth boxes, duplicates,
      wrong classes, random false positives and detections inside crowd regions (seed 20240501)

Run from anywhere:  /usr/bin/python3 tests/eval/make_coco_fixtures.py [--data DIR]
With --pycocotools DIR (a folder holding a `pycocotools` package) it also evaluates both fixtures
with COCOeval(iouType='bbox') and prints the 12 stats and per-category AP to paste into the test.
Only the Python standard library is needed to write the fixtures.
"""
import argparse
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'data')


def box(x, y, w, h):
    return [round(x, 2), round(y, 2), round(w, 2), round(h, 2)]


def handmade():
    """Images 3, 5, 7, 12, 40 (listed out of order), categories 2, 1, 9, 3, 4 (out of order).

    - image 3: regular GT of every size; a crowd region with detections inside it (matched to the
      crowd -> ignored) and one straddling it; a duplicate detection (false positive); a GT whose
      id is 0 (pycocotools cannot tell its match from "no match"); the 'area' field differing from w*h
    - image 5: 30 GT and 130 detections of category 1 (the 100-per-image cut drops low-score true
      positives), 2-decimal scores (many ties), a crowd-only category 9 (no countable GT -> -1),
      detections of category 4 (no GT at all -> -1) and of category 99 (not a category: dropped)
    - image 7: no ground truth, only false positives whose scores tie with other images' detections
    - image 12: GT with area exactly 32^2 and 96^2 (both range ends are inclusive), a zero-width detection
    - image 40: ground truth and no detections
    - category 3: ground truth and no detections anywhere
    """
    rng = random.Random(7)
    images = [{'id': i, 'width': 640, 'height': 480, 'file_name': '%012d.jpg' % i} for i in (7, 3, 12, 40, 5)]
    categories = [{'id': c, 'name': n} for c, n in ((2, 'b'), (1, 'a'), (9, 'e'), (3, 'c'), (4, 'd'))]
    anns = []

    def gt(id, image, cat, b, area=None, crowd=0):
        anns.append({'id': id, 'image_id': image, 'category_id': cat, 'bbox': b,
                     'area': b[2] * b[3] if area is None else area, 'iscrowd': crowd,
                     'segmentation': [[b[0], b[1], b[0] + b[2], b[1], b[0] + b[2], b[1] + b[3]]]})

    dets = []

    def det(image, cat, b, score):
        dets.append({'image_id': image, 'category_id': cat, 'bbox': b, 'score': score})

    # image 3
    gt(10, 3, 1, [10, 10, 200, 150])                 # large
    gt(11, 3, 1, [300, 50, 60, 50], area=2900.5)     # medium by its area field
    gt(20, 3, 2, [100, 200, 50, 40])                 # medium, category 2
    gt(12, 3, 1, [400, 300, 20, 20])                 # small
    gt(13, 3, 1, [0, 300, 300, 150], crowd=1)        # crowd region
    gt(0, 3, 1, [500, 20, 50, 40])                   # id 0
    gt(30, 3, 3, [50, 50, 100, 100])                 # category 3 (never detected)
    det(3, 1, [12, 11, 196, 150], 0.9)     # on GT 10, IoU ~0.97
    det(3, 1, [20, 20, 200, 150], 0.9)     # duplicate on GT 10, same score
    det(3, 1, [305, 55, 60, 50], 0.8)      # on GT 11, IoU ~0.72
    det(3, 1, [402, 303, 20, 20], 0.3)     # on GT 12, IoU ~0.75
    det(3, 1, [10, 320, 50, 50], 0.7)      # inside the crowd region
    det(3, 1, [200, 400, 80, 40], 0.2)     # inside the crowd region
    det(3, 1, [250, 280, 100, 60], 0.65)   # half in the crowd region
    det(3, 1, [502, 22, 50, 40], 0.6)      # on the GT with id 0
    det(3, 1, [600, 400, 10, 12], 0.5)     # small false positive
    det(3, 2, [105, 204, 50, 40], 0.95)    # on GT 20, IoU ~0.68
    det(3, 2, [100, 200, 50, 40], 0.1)     # on GT 20 exactly, but GT 20 is taken
    # image 7: false positives only
    det(7, 1, [0, 0, 100, 100], 0.9)
    det(7, 1, [200, 200, 20, 20], 0.8)
    det(7, 1, [300, 10, 300, 300], 0.3)
    det(7, 2, [10, 10, 40, 40], 0.95)
    det(7, 2, [50, 50, 200, 200], 0.5)
    # image 12: range boundaries
    gt(40, 12, 1, [0, 0, 32, 32])      # area 1024: small and medium
    gt(41, 12, 1, [100, 100, 96, 96])  # area 9216: medium and large
    gt(42, 12, 2, [300, 300, 100, 50], area=32 * 32)
    det(12, 1, [1, 1, 32, 32], 0.8)
    det(12, 1, [104, 100, 96, 96], 0.9)
    det(12, 1, [400, 10, 0, 30], 0.85)  # zero width: area 0, IoU 0
    det(12, 2, [310, 300, 100, 50], 0.6)
    # image 40: ground truth only
    gt(50, 40, 1, [30, 40, 70, 80])
    gt(51, 40, 2, [300, 40, 20, 30])
    # image 5: a crowd of objects and detections
    next_id = 100
    for r in range(5):
        for c in range(6):
            w, h = rng.choice([(12, 15), (40, 50), (110, 90)])
            b = box(10 + c * 105, 10 + r * 95, w * 0.9, h * 0.9)
            gt(next_id, 5, 1, b)
            next_id += 1
            jx, jy = rng.uniform(-0.15, 0.15) * b[2], rng.uniform(-0.15, 0.15) * b[3]
            det(5, 1, box(b[0] + jx, b[1] + jy, b[2], b[3]), round(rng.uniform(0.05, 1.0), 2))
    for _ in range(100):
        det(5, 1, box(rng.uniform(0, 600), rng.uniform(0, 440), rng.uniform(5, 150), rng.uniform(5, 150)),
            round(rng.uniform(0.05, 1.0), 2))
    gt(200, 5, 9, [100, 100, 200, 200], crowd=1)
    det(5, 9, [120, 120, 50, 50], 0.7)
    det(5, 9, [500, 300, 50, 50], 0.4)
    for i in range(5):
        det(5, 4, box(10 + 60 * i, 400, 50, 50), 0.5 + 0.1 * i)
    det(5, 99, [10, 10, 50, 50], 0.99)
    # A GT file keeps annotations in no particular image order.
    rng.shuffle(anns)
    return {'images': images, 'annotations': anns, 'categories': categories}, dets


def random_dets(gt_path):
    rng = random.Random(20240501)
    gt = json.load(open(gt_path))
    cat_ids = [c['id'] for c in gt['categories']]
    sizes = {im['id']: (im['width'], im['height']) for im in gt['images']}
    dets = []

    def add(image, cat, x, y, w, h):
        W, H = sizes[image]
        x, y = min(max(x, 0), W - 1), min(max(y, 0), H - 1)
        w, h = max(min(w, W - x), 0.5), max(min(h, H - y), 0.5)
        dets.append({'image_id': image, 'category_id': cat, 'bbox': box(x, y, w, h),
                     'score': round(rng.random(), 3)})  # 3 decimals: plenty of ties

    for a in gt['annotations']:
        x, y, w, h = a['bbox']
        if a['iscrowd']:
            for _ in range(rng.randint(0, 3)):  # detections inside the crowd region
                add(a['image_id'], a['category_id'], x + rng.uniform(0, w * 0.7), y + rng.uniform(0, h * 0.7),
                    w * rng.uniform(0.05, 0.3), h * rng.uniform(0.05, 0.3))
            continue
        if rng.random() < 0.85:
            s = rng.choice([0.03, 0.1, 0.2])
            cat = a['category_id'] if rng.random() < 0.92 else rng.choice(cat_ids)
            add(a['image_id'], cat, x + rng.gauss(0, s) * w, y + rng.gauss(0, s) * h,
                w * (1 + rng.gauss(0, s)), h * (1 + rng.gauss(0, s)))
            if rng.random() < 0.15:  # a duplicate
                add(a['image_id'], cat, x + rng.gauss(0, 0.1) * w, y + rng.gauss(0, 0.1) * h, w, h)
    for im in gt['images']:
        W, H = im['width'], im['height']
        for _ in range(rng.randint(0, 8)):
            w, h = W * rng.uniform(0.02, 0.6), H * rng.uniform(0.02, 0.6)
            add(im['id'], rng.choice(cat_ids), rng.uniform(0, W - w), rng.uniform(0, H - h), w, h)
    rng.shuffle(dets)
    return dets


def write(name, obj):
    with open(os.path.join(OUT, name), 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
        f.write('\n')


def evaluate(pycocotools_dir, gt_path, dets_path, img_ids=None, cat_ids=None):
    sys.path.insert(0, pycocotools_dir)
    import contextlib
    import io
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        dt = gt.loadRes(dets_path)
        ev = COCOeval(gt, dt, iouType='bbox')
        if img_ids is not None:
            ev.params.imgIds = img_ids
        if cat_ids is not None:
            ev.params.catIds = cat_ids
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    print('%s + %s%s' % (os.path.basename(gt_path), os.path.basename(dets_path),
                         '' if img_ids is None else ' (every other image, categories %s)' % cat_ids))
    print('  stats = {%s}' % ', '.join(repr(float(s)) for s in ev.stats))
    p = ev.eval['precision']
    for k, cat in enumerate(ev.params.catIds):
        s = p[:, :, k, 0, 2]
        ap = float(s[s > -1].mean()) if (s > -1).any() else -1.0
        print('  category %d AP %r' % (cat, ap))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(HERE, '..', '..', '..', 'shared', 'data'))
    ap.add_argument('--pycocotools', help='folder holding a pycocotools package, to print reference numbers')
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    gt, dets = handmade()
    write('handmade_gt.json', gt)
    write('handmade_dets.json', dets)
    subset = os.path.join(args.data, 'coco', 'instances_val_subset.json')
    write('random_dets.json', random_dets(subset))
    if args.pycocotools:
        evaluate(args.pycocotools, os.path.join(OUT, 'handmade_gt.json'), os.path.join(OUT, 'handmade_dets.json'))
        evaluate(args.pycocotools, subset, os.path.join(OUT, 'random_dets.json'))
        ids = sorted(im['id'] for im in json.load(open(subset))['images'])
        evaluate(args.pycocotools, subset, os.path.join(OUT, 'random_dets.json'), ids[::2], [1, 3, 18, 44, 62])


if __name__ == '__main__':
    main()
