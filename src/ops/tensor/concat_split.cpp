// Concat and Split: along one axis, data moves as contiguous blocks of (axis extent x inner) elements.
#include <algorithm>
#include <cstring>
#include <vector>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ops/op_util.h"

namespace ez::ops {
namespace {

// outer = product of dims before axis; inner = product of dims after it.
void outer_inner(const Shape& s, int64_t axis, int64_t* outer, int64_t* inner) {
  *outer = 1;
  *inner = 1;
  for (int64_t i = 0; i < static_cast<int64_t>(s.size()); ++i) {
    if (i < axis) *outer *= s[i];
    if (i > axis) *inner *= s[i];
  }
}

// One input of a Concat: per outer index, `row` bytes that land at `offset` in the output row.
struct Block {
  const char* src;
  int64_t row, offset;
};

// n bytes. NHWC concatenations copy a few dozen bytes per pixel and input (16 channels of uint8,
// 16 of float): a call to memcpy per piece cost more than the copy, so pieces of whole 16-byte
// units up to 256 bytes are moved inline (SSE2, every x86-64).
inline void copy_piece(char* d, const char* s, int64_t n) {
#ifdef __SSE2__
  if (n <= 256 && n % 16 == 0) {
    for (int64_t i = 0; i < n; i += 16) _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i), _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)));
    return;
  }
#endif
  std::memcpy(d, s, static_cast<size_t>(n));
}

// Every outer row of the output assembled from all blocks; rows are split between threads once
// (one parallel region for all inputs: NHWC concatenations have many short rows). With fewer
// rows than threads (a detector's final [1, anchors, 85] output: one row of three long pieces)
// the pieces are cut into 64 KiB chunks and those split instead.
void copy_rows(const std::vector<Block>& blocks, char* dst, int64_t out_row, int64_t outer, const ThreadPool* pool) {
  const bool parallel = pool && outer * out_row > (int64_t(1) << 16);
  if (parallel && outer < pool->num_threads()) {
    constexpr int64_t kChunk = int64_t(1) << 16;
    struct Piece {
      char* d;
      const char* s;
      int64_t n;
    };
    std::vector<Piece> pieces;
    for (int64_t o = 0; o < outer; ++o)
      for (const Block& k : blocks)
        for (int64_t at = 0; at < k.row; at += kChunk)
          pieces.push_back({dst + o * out_row + k.offset + at, k.src + o * k.row + at, std::min(kChunk, k.row - at)});
    pool->parallel_for(static_cast<int64_t>(pieces.size()), 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) std::memcpy(pieces[i].d, pieces[i].s, static_cast<size_t>(pieces[i].n));
    });
    return;
  }
  auto body = [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o)
      for (const Block& k : blocks) copy_piece(dst + o * out_row + k.offset, k.src + o * k.row, k.row);
  };
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 15) / std::max<int64_t>(out_row, 1));
  if (parallel) pool->parallel_for(outer, grain, body);
  else body(0, outer);
}

// The reverse: output i takes `row` bytes at `offset` of every input row.
void split_rows(const char* src, int64_t in_row, const std::vector<char*>& dsts, const std::vector<int64_t>& rows,
                const std::vector<int64_t>& offsets, int64_t outer, const ThreadPool* pool) {
  auto body = [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o)
      for (size_t i = 0; i < dsts.size(); ++i) std::memcpy(dsts[i] + o * rows[i], src + o * in_row + offsets[i], rows[i]);
  };
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 15) / std::max<int64_t>(in_row, 1));
  if (pool && outer * in_row > (int64_t(1) << 16)) pool->parallel_for(outer, grain, body);
  else body(0, outer);
}

class ConcatKernel final : public Kernel {
 public:
  explicit ConcatKernel(int64_t axis) : axis_(axis) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    if (in.empty()) return invalid_model("Concat needs at least one input");
    const Shape& first = in[0].desc.shape;
    EZ_ASSIGN_OR_RETURN(axis_n_, normalize_axis(axis_, static_cast<int64_t>(first.size()), "Concat"));
    Shape s = first;
    s[axis_n_] = 0;
    for (const KernelInput& k : in) {
      if (k.desc.dtype != in[0].desc.dtype) return invalid_model("Concat: input dtypes differ");
      if (k.desc.shape.size() != first.size()) return invalid_model("Concat: input ranks differ");
      for (size_t d = 0; d < first.size(); ++d)
        if (static_cast<int64_t>(d) != axis_n_ && k.desc.shape[d] != first[d])
          return invalid_model("Concat: shapes " + shape_to_string(first) + " and " + shape_to_string(k.desc.shape) +
                               " differ outside axis " + std::to_string(axis_));
      s[axis_n_] += k.desc.shape[axis_n_];
    }
    (*out)[0] = {in[0].desc.dtype, s};
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const int64_t es = static_cast<int64_t>(dtype_size(out[0].dtype()));
    int64_t outer, inner;
    outer_inner(out[0].shape(), axis_n_, &outer, &inner);
    std::vector<Block> blocks;
    int64_t offset = 0;
    for (const Tensor* t : in) {
      const int64_t row = t->shape()[axis_n_] * inner * es;
      blocks.push_back({static_cast<const char*>(t->raw()), row, offset});
      offset += row;
    }
    copy_rows(blocks, static_cast<char*>(out[0].raw()), offset, outer, ctx.pool);
    return Status::OK();
  }

 private:
  int64_t axis_;
  int64_t axis_n_ = 0;
};

class SplitKernel final : public Kernel {
 public:
  SplitKernel(int64_t axis, std::vector<int64_t> split_attr, bool split_from_input, int num_outputs)
      : axis_(axis), split_attr_(std::move(split_attr)), from_input_(split_from_input), num_outputs_(num_outputs) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 2, "Split"));
    const Shape& s = in[0].desc.shape;
    EZ_ASSIGN_OR_RETURN(axis_n_, normalize_axis(axis_, static_cast<int64_t>(s.size()), "Split"));
    std::vector<int64_t> parts = split_attr_;
    if (from_input_ && in.size() > 1 && in[1].present()) {
      EZ_ASSIGN_OR_RETURN(parts, read_int_list(in[1], "Split", "split"));
    }
    const int64_t total = s[axis_n_];
    if (parts.empty()) {  // equal parts; the last may be smaller (opset 18 semantics, same when divisible)
      const int64_t n = num_outputs_;
      const int64_t each = (total + n - 1) / n;
      for (int64_t i = 0; i < n; ++i) parts.push_back(std::max<int64_t>(0, std::min(each, total - i * each)));
    }
    int64_t sum = 0;
    for (int64_t p : parts) sum += p;
    if (static_cast<int>(parts.size()) != num_outputs_ || sum != total)
      return invalid_model("Split: parts " + shape_to_string(parts) + " do not split dim " + std::to_string(total) +
                           " into " + std::to_string(num_outputs_) + " outputs");
    parts_ = parts;
    for (size_t o = 0; o < parts.size(); ++o) {
      Shape os = s;
      os[axis_n_] = parts[o];
      (*out)[o] = {in[0].desc.dtype, os};
    }
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    const int64_t es = static_cast<int64_t>(dtype_size(in[0]->dtype()));
    int64_t outer, inner;
    outer_inner(in[0]->shape(), axis_n_, &outer, &inner);
    std::vector<char*> dsts;
    std::vector<int64_t> rows, offsets;
    int64_t offset = 0;
    for (Tensor& t : out) {
      const int64_t row = t.shape()[axis_n_] * inner * es;
      dsts.push_back(static_cast<char*>(t.raw()));
      rows.push_back(row);
      offsets.push_back(offset);
      offset += row;
    }
    split_rows(static_cast<const char*>(in[0]->raw()), offset, dsts, rows, offsets, outer, ctx.pool);
    return Status::OK();
  }

 private:
  int64_t axis_;
  std::vector<int64_t> split_attr_;
  bool from_input_;
  int num_outputs_;
  int64_t axis_n_ = 0;
  std::vector<int64_t> parts_;
};

}  // namespace

Result<KernelPtr> create_Concat(const KernelConfig& c) {
  if (!c.attrs.has("axis")) return invalid_model("Concat: missing attribute 'axis'");
  return KernelPtr(new ConcatKernel(c.attrs.get_int("axis", 0)));
}

Result<KernelPtr> create_Split(const KernelConfig& c) {
  return KernelPtr(new SplitKernel(c.attrs.get_int("axis", 0), c.attrs.get_ints("split"), c.opset >= 13, c.num_outputs));
}

}  // namespace ez::ops
