#include "core/npy.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/file_util.h"

namespace ez {
namespace {

const char* npy_descr(DType t) {
  switch (t) {
    case DType::kFloat32: return "<f4";
    case DType::kFloat64: return "<f8";
    case DType::kFloat16: return "<f2";
    case DType::kInt8: return "|i1";
    case DType::kUInt8: return "|u1";
    case DType::kInt16: return "<i2";
    case DType::kUInt16: return "<u2";
    case DType::kInt32: return "<i4";
    case DType::kUInt32: return "<u4";
    case DType::kInt64: return "<i8";
    case DType::kUInt64: return "<u8";
    case DType::kBool: return "|b1";
    default: return nullptr;
  }
}

bool descr_to_dtype(const std::string& d, DType* out) {
  static const DType all[] = {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kInt8,
                              DType::kUInt8,   DType::kInt16,   DType::kUInt16,  DType::kInt32,
                              DType::kUInt32,  DType::kInt64,   DType::kUInt64,  DType::kBool};
  for (DType t : all) {
    const std::string e = npy_descr(t);
    // '=' (native) and '<' are both little-endian here; single-byte types may use '|'.
    if (d == e || (d.size() == 3 && e.size() == 3 && d.substr(1) == e.substr(1) && (d[0] == '=' || d[0] == '|' || d[0] == '<'))) {
      *out = t;
      return true;
    }
  }
  return false;
}

// Extracts the value text after 'key': in the header dict.
bool header_field(const std::string& h, const std::string& key, std::string* value) {
  const size_t k = h.find("'" + key + "'");
  if (k == std::string::npos) return false;
  size_t p = h.find(':', k);
  if (p == std::string::npos) return false;
  ++p;
  while (p < h.size() && h[p] == ' ') ++p;
  size_t end;
  if (h[p] == '(') {
    end = h.find(')', p);
    if (end == std::string::npos) return false;
    ++end;
  } else if (h[p] == '\'') {
    end = h.find('\'', p + 1);
    if (end == std::string::npos) return false;
    ++end;
  } else {
    end = h.find_first_of(",}", p);
  }
  *value = h.substr(p, end - p);
  return true;
}

}  // namespace

Result<Tensor> read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return not_found("cannot open '" + path + "'");
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    return invalid_argument("'" + path + "' is not a .npy file (bad magic)");
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    uint16_t l;
    if (!f.read(reinterpret_cast<char*>(&l), 2)) return invalid_argument("'" + path + "': truncated header");
    header_len = l;
  } else {
    if (!f.read(reinterpret_cast<char*>(&header_len), 4)) return invalid_argument("'" + path + "': truncated header");
  }
  if (header_len > (1u << 20)) return invalid_argument("'" + path + "': header too large");
  std::string h(header_len, '\0');
  if (!f.read(h.data(), header_len)) return invalid_argument("'" + path + "': truncated header");
  std::string descr, order, shape_text;
  if (!header_field(h, "descr", &descr) || !header_field(h, "fortran_order", &order) ||
      !header_field(h, "shape", &shape_text))
    return invalid_argument("'" + path + "': malformed .npy header");
  descr = descr.substr(1, descr.size() - 2);
  DType dtype;
  if (!descr_to_dtype(descr, &dtype)) return unsupported("'" + path + "': unsupported .npy dtype '" + descr + "'");
  if (order.find("True") != std::string::npos) return unsupported("'" + path + "': Fortran-order arrays are not supported");
  Shape shape;
  std::stringstream ss(shape_text.substr(1, shape_text.size() - 2));
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    if (tok.find_first_not_of(' ') == std::string::npos) continue;
    try {
      shape.push_back(std::stoll(tok));
    } catch (...) {
      return invalid_argument("'" + path + "': bad shape " + shape_text);
    }
    if (shape.back() < 0) return invalid_argument("'" + path + "': bad shape " + shape_text);
  }
  EZ_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype, shape));
  if (!f.read(static_cast<char*>(t.raw()), static_cast<std::streamsize>(t.nbytes())))
    return invalid_argument("'" + path + "': truncated data (expected " + std::to_string(t.nbytes()) + " bytes for " +
                            t.desc().to_string() + ")");
  return t;
}

Status write_npy(const std::string& path, const Tensor& t) {
  const char* descr = npy_descr(t.dtype());
  if (!descr) return unsupported(std::string("cannot write dtype ") + dtype_name(t.dtype()) + " to .npy");
  std::string shape = "(";
  for (size_t i = 0; i < t.shape().size(); ++i) shape += std::to_string(t.shape()[i]) + (t.shape().size() == 1 ? "," : (i + 1 < t.shape().size() ? ", " : ""));
  shape += ")";
  std::string h = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += '\x01';
  bytes += '\x00';
  const uint16_t len = static_cast<uint16_t>(h.size());
  bytes.append(reinterpret_cast<const char*>(&len), 2);
  bytes += h;
  bytes.append(static_cast<const char*>(t.raw()), t.nbytes());
  return write_file_atomic(path, bytes);
}

}  // namespace ez
