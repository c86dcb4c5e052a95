#!/usr/bin/env bash
# The command line on bad input: a one-line "edgezoo: ..." error, a non-zero exit, never a crash
# (exit codes >= 128 are signals) and no half-written output file.
# Usage: cli_errors.sh EDGEZOO_BINARY DATA_DIR
set -u
EZ="$1"; DATA="$2"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0

# expect_error NAME PATTERN -- COMMAND...
expect_error() {
  local name="$1" pattern="$2"; shift 3
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  if [ $rc -eq 0 ] || [ $rc -ge 128 ]; then
    echo "FAIL $name: exit code $rc"; fail=$((fail+1)); return
  fi
  if ! grep -q "^edgezoo: .*$pattern" "$T/err"; then
    echo "FAIL $name: stderr lacks '$pattern':"; cat "$T/err"; fail=$((fail+1)); return
  fi
  if [ "$(wc -l < "$T/err")" -ne 1 ]; then
    echo "FAIL $name: error is not one line:"; cat "$T/err"; fail=$((fail+1)); return
  fi
  echo "ok   $name: $(cat "$T/err")"; pass=$((pass+1))
}

MODEL="$DATA/models/yolox_nano.onnx"
head -c 100000 "$MODEL" > "$T/truncated.onnx"
echo "not a model" > "$T/text.onnx"
/usr/bin/python3 - "$T" <<'PY'
import sys, numpy as np, onnx
from onnx import helper, TensorProto
d = sys.argv[1]
g = helper.make_graph([helper.make_node("FancyOp", ["x"], ["y"], name="fancy_1")], "g",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), d + "/unsupported.onnx")
w = helper.make_tensor("w", TensorProto.FLOAT, [1, 4], [0, 0, 0, 0])
w.data_location = TensorProto.EXTERNAL
w.ClearField("float_data")
e = w.external_data.add(); e.key = "location"; e.value = "../../../etc/passwd"
g = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], initializer=[w])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), d + "/hostile.onnx")
np.save(d + "/wrong_shape.npy", np.zeros((1, 3, 10, 10), np.float32))
np.save(d + "/wrong_dtype.npy", np.zeros((1, 3, 416, 416), np.int32))
PY

expect_error "missing model"        "cannot open"          -- "$EZ" run "$T/none.onnx"
expect_error "truncated model"      "not a valid ONNX"     -- "$EZ" run "$T/truncated.onnx"
expect_error "text file as model"   "not a valid ONNX"     -- "$EZ" info "$T/text.onnx"
expect_error "unsupported operator" "FancyOp.*fancy_1"     -- "$EZ" run "$T/unsupported.onnx"
expect_error "hostile external data" "refused"             -- "$EZ" run "$T/hostile.onnx"
expect_error "wrong input shape"    "images.*416"          -- "$EZ" run "$MODEL" --input "images=$T/wrong_shape.npy"
expect_error "wrong input dtype"    "float32"              -- "$EZ" run "$MODEL" --input "images=$T/wrong_dtype.npy"
expect_error "unknown input name"   "nope"                 -- "$EZ" run "$MODEL" --shape nope=1x3
expect_error "bad shape syntax"     "bad shape"            -- "$EZ" run "$MODEL" --shape images=1xAx3
expect_error "missing npy"          "cannot open"          -- "$EZ" run "$MODEL" --input "images=$T/none.npy"
mkdir -p "$T/outdir"
expect_error "no output on failure" "refused"              -- "$EZ" run "$T/hostile.onnx" -o "$T/outdir"
if [ -n "$(ls -A "$T/outdir")" ]; then echo "FAIL: files left in the output folder: $(ls "$T/outdir")"; fail=$((fail+1)); fi

# convert: a model that does not load is not written; a bad --std.
expect_error "convert: truncated model" "not a valid ONNX"   -- "$EZ" convert "$T/truncated.onnx" -o "$T/c1.onnx"
expect_error "convert: hostile external data" "refused"      -- "$EZ" convert "$T/hostile.onnx" -o "$T/c2.onnx"
expect_error "convert: zero std"        "--std must not be 0" -- "$EZ" convert "$MODEL" --std 0 -o "$T/c3.onnx"
for f in c1 c2 c3; do
  if [ -e "$T/$f.onnx" ]; then echo "FAIL: convert wrote $f.onnx on failure"; fail=$((fail+1)); fi
done

# detect: missing and corrupt pictures, a model that is no detector, an empty folder.
head -c 5000 "$DATA/images/bus.jpg" > "$T/corrupt.jpg"
echo "plain text" > "$T/text.jpg"
mkdir -p "$T/empty"
expect_error "detect: missing image"   "cannot open image"        -- "$EZ" detect "$MODEL" "$T/none.jpg" -o "$T/d1.jpg"
expect_error "detect: truncated image" "truncated JPEG"           -- "$EZ" detect "$MODEL" "$T/corrupt.jpg" -o "$T/d2.jpg"
expect_error "detect: not an image"    "not a JPEG or PNG"        -- "$EZ" detect "$MODEL" "$T/text.jpg" -o "$T/d3.jpg"
expect_error "detect: empty folder"    "contains no .jpg"         -- "$EZ" detect "$MODEL" "$T/empty"
expect_error "detect: not a detector"  "softmax_0.tmp_0.*--family.*yolov8" -- "$EZ" detect "$DATA/ocr/ppocr_cls.onnx" "$DATA/images/bus.jpg" --shape x=1x3x48x192 -o "$T/d4.jpg"
for f in d1 d2 d3 d4; do
  if [ -e "$T/$f.jpg" ]; then echo "FAIL: $f.jpg was written despite the error"; fail=$((fail+1)); fi
done

# eval: malformed annotations, an annotation naming an unknown image, a missing picture.
echo '{"images": [ {"id": 1, "file_name": "a.jpg"' > "$T/broken.json"
echo '{"images": [{"id": 1, "file_name": "bus.jpg", "width": 640, "height": 640}], "categories": [{"id": 1, "name": "person"}],
 "annotations": [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 12, "iscrowd": 0}]}' > "$T/badid.json"
echo '{"images": [{"id": 1, "file_name": "nothere.jpg", "width": 640, "height": 640}], "categories": [{"id": 1, "name": "person"}],
 "annotations": []}' > "$T/missing.json"
expect_error "eval: malformed JSON"   "broken.json"          -- "$EZ" eval coco "$MODEL" --images "$DATA/images" --annotations "$T/broken.json"
expect_error "eval: unknown image id" "image_id 7"           -- "$EZ" eval coco "$MODEL" --images "$DATA/images" --annotations "$T/badid.json"
expect_error "eval: missing image"    "nothere.jpg"          -- "$EZ" eval coco "$MODEL" --images "$DATA/images" --annotations "$T/missing.json" --json "$T/r.json"
if [ -e "$T/r.json" ]; then echo "FAIL: results written despite the error"; fail=$((fail+1)); fi

echo "cli_errors: $pass passed, $fail failed"
[ $fail -eq 0 ]
