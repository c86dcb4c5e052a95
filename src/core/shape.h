// Shapes are plain vectors of dimensions; -1 marks a dimension not known yet.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace ez {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& s);      // 1 for a scalar; -1 if any dim is unknown
bool shape_is_static(const Shape& s);     // no unknown dims
std::string shape_to_string(const Shape& s);  // "[1,3,640,640]" ("?" for unknown)
// Parses "1x3x640x640" or "1,3,640,640".
Result<Shape> parse_shape(const std::string& text);
// Row-major strides in elements.
std::vector<int64_t> shape_strides(const Shape& s);
// NumPy-style multidirectional broadcast of two shapes.
Result<Shape> broadcast_shapes(const Shape& a, const Shape& b);
// Normalises a possibly negative axis into [0, rank); error names the op for the message.
Result<int64_t> normalize_axis(int64_t axis, int64_t rank, const char* what);

}  // namespace ez
