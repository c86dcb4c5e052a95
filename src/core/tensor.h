// Tensor: a dtype, a shape and a pointer to dense row-major data. It either owns its buffer
// (shared, so copies are cheap views) or borrows memory owned by someone else (a session arena).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/dtype.h"
#include "core/shape.h"
#include "core/status.h"

namespace ez {

struct TensorDesc {
  DType dtype = DType::kUndefined;
  Shape shape;
  size_t nbytes() const;  // 0 if the shape is not static
  std::string to_string() const;  // "float32[1,3,640,640]"
};

// Memory alignment for every buffer edgezoo allocates (a cache line; enough for AVX-512).
constexpr size_t kTensorAlignment = 64;

class Tensor {
 public:
  Tensor() = default;
  // Allocates zero-filled, aligned memory owned by the tensor (and its copies).
  static Result<Tensor> allocate(DType dtype, Shape shape);
  // Same as allocate() but aborts the computation with an error only on allocation failure;
  // convenient in tests.
  static Tensor zeros(DType dtype, Shape shape);
  // Borrows `data`; the caller keeps it alive while the tensor is used.
  static Tensor borrow(DType dtype, Shape shape, void* data);
  // Views `data`, keeping `owner` (whatever holds the bytes) alive as long as any copy lives.
  // The data may be less aligned than allocate()'s (element alignment is required).
  static Tensor adopt(DType dtype, Shape shape, std::shared_ptr<void> owner, void* data);
  // Deep copy into a new owned buffer.
  Tensor clone() const;
  // Shares this tensor's buffer under another shape with the same element count.
  Tensor reshaped(Shape shape) const;
  // Shares this tensor's buffer as another dtype of the same element size (bit reinterpretation).
  Tensor bitcast(DType dtype) const;

  bool empty() const { return dtype_ == DType::kUndefined; }
  // True when this object is the only owner of its bytes (no copy, view or caller shares them),
  // so they may be changed in place without anyone else seeing it.
  bool sole_owner() const { return owner_ && owner_.use_count() == 1; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  TensorDesc desc() const { return {dtype_, shape_}; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[i]; }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <typename T> T* data() { return static_cast<T*>(data_); }
  template <typename T> const T* data() const { return static_cast<const T*>(data_); }

  // Reads element i (flat index) as double / int64 regardless of dtype: for shape tensors,
  // small attribute-like inputs and tests, never for hot loops.
  double at_double(int64_t i) const;
  int64_t at_int(int64_t i) const;

 private:
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  void* data_ = nullptr;
  std::shared_ptr<void> owner_;
};

// Aligned heap memory released with aligned_free.
void* aligned_alloc_bytes(size_t bytes);
void aligned_free_bytes(void* p);

}  // namespace ez
