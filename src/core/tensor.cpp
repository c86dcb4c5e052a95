#include "core/tensor.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace ez {

size_t TensorDesc::nbytes() const {
  const int64_t n = shape_numel(shape);
  return n < 0 ? 0 : static_cast<size_t>(n) * dtype_size(dtype);
}

std::string TensorDesc::to_string() const { return std::string(dtype_name(dtype)) + shape_to_string(shape); }

void* aligned_alloc_bytes(size_t bytes) {
  // Large buffers (weights, the activation arena, image-sized inputs) go on 2 MiB pages where
  // the kernel allows it (transparent huge pages in "madvise" mode): first-touch page faults are
  // most of what loading a model costs on small virtual machines (~12 us per 4 KiB page seen).
  constexpr size_t kHuge = size_t(2) << 20;
  if (bytes >= 2 * kHuge) {
    const size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
    void* p = std::aligned_alloc(kHuge, rounded);
    if (p) ::madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure changes nothing
    return p;
  }
  const size_t rounded = (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  return std::aligned_alloc(kTensorAlignment, rounded == 0 ? kTensorAlignment : rounded);
}

void aligned_free_bytes(void* p) { std::free(p); }

Result<Tensor> Tensor::allocate(DType dtype, Shape shape) {
  if (dtype_size(dtype) == 0) return unsupported(std::string("cannot allocate a tensor of dtype ") + dtype_name(dtype));
  if (!shape_is_static(shape)) return invalid_argument("cannot allocate a tensor of unknown shape " + shape_to_string(shape));
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  const size_t bytes = t.nbytes();
  void* p = aligned_alloc_bytes(bytes);
  if (!p) return Status(StatusCode::kOutOfMemory, "out of memory allocating " + std::to_string(bytes) + " bytes");
  std::memset(p, 0, bytes);
  t.data_ = p;
  t.owner_ = std::shared_ptr<void>(p, aligned_free_bytes);
  return t;
}

Tensor Tensor::zeros(DType dtype, Shape shape) {
  auto r = allocate(dtype, std::move(shape));
  if (!r.ok()) throw std::bad_alloc();
  return std::move(r).value();
}

Tensor Tensor::borrow(DType dtype, Shape shape, void* data) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = data;
  return t;
}

Tensor Tensor::adopt(DType dtype, Shape shape, std::shared_ptr<void> owner, void* data) {
  Tensor t = borrow(dtype, std::move(shape), data);
  t.owner_ = std::move(owner);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = zeros(dtype_, shape_);
  if (nbytes()) std::memcpy(t.data_, data_, nbytes());
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::bitcast(DType dtype) const {
  Tensor t = *this;
  t.dtype_ = dtype_size(dtype) == dtype_size(dtype_) ? dtype : dtype_;
  return t;
}

double Tensor::at_double(int64_t i) const {
  double v = 0;
  EZ_DISPATCH_ALL(dtype_, T, v = 0, v = to_double(data<T>()[i]));
  return v;
}

int64_t Tensor::at_int(int64_t i) const {
  if (dtype_ == DType::kInt64) return data<int64_t>()[i];
  if (dtype_ == DType::kInt32) return data<int32_t>()[i];
  return static_cast<int64_t>(at_double(i));
}

}  // namespace ez
