#include "ops/registry.h"

#include <algorithm>
#include <cstring>

#include "ops/channels_last.h"

namespace ez::ops {

// Every reference kernel is declared from the list ...
#define EZ_OP(NAME) Result<KernelPtr> create_##NAME(const KernelConfig&);
#include "ops/op_list.inc"
#undef EZ_OP
#define EZ_FAST_OP(NAME) Result<KernelPtr> create_##NAME##_fast(const KernelConfig&);
#include "ops/fast_op_list.inc"
#undef EZ_FAST_OP

namespace {

struct Entry {
  const char* name;
  KernelFactory factory;
};

// ... and registered from the same list, so nothing is declared and forgotten.
constexpr Entry kReference[] = {
#define EZ_OP(NAME) {#NAME, &create_##NAME},
#include "ops/op_list.inc"
#undef EZ_OP
};

const Entry kFast[] = {
#define EZ_FAST_OP(NAME) {#NAME, &create_##NAME##_fast},
#include "ops/fast_op_list.inc"
#undef EZ_FAST_OP
    {"", nullptr}};  // sentinel: keeps the array valid while the fast list is empty

KernelFactory find(const Entry* begin, const Entry* end, const std::string& op) {
  for (const Entry* e = begin; e != end; ++e)
    if (e->factory && op == e->name) return e->factory;
  return nullptr;
}

KernelFactory find_reference(const std::string& op) { return find(std::begin(kReference), std::end(kReference), op); }
KernelFactory find_fast(const std::string& op) { return find(std::begin(kFast), std::end(kFast), op); }

}  // namespace

Result<KernelPtr> create_kernel(const KernelConfig& config, KernelChoice choice) {
  if (choice == KernelChoice::kFast) {
    if (KernelFactory fast = find_fast(config.op_type)) {
      auto r = fast(config);
      // A fast path declines configurations it does not cover; anything else is a real error.
      if (r.ok() || r.status().code() != StatusCode::kUnsupported) return r;
    }
  }
  KernelFactory ref = find_reference(config.op_type);
  if (!ref) {
    return unsupported("operator '" + config.op_type + "' (node '" + config.node_name + "') is not supported");
  }
  if (wants_channels_last(config.attrs)) {
    // Reference kernels are written for NCHW: run them behind transposes.
    KernelConfig nchw = config;
    Attributes attrs;
    for (const auto& kv : config.attrs.all())
      if (kv.first != kChannelsLastAttr) attrs.set(kv.first, kv.second);
    nchw.attrs = attrs;
    auto r = ref(nchw);
    if (!r.ok()) return r.status().with_context(config.op_type + " node '" + config.node_name + "'");
    return wrap_channels_last(std::move(r).value(), channels_last_data_inputs(config.op_type));
  }
  auto r = ref(config);
  if (!r.ok()) return r.status().with_context(config.op_type + " node '" + config.node_name + "'");
  return r;
}

bool is_supported_op(const std::string& op_type) { return find_reference(op_type) != nullptr; }
bool has_fast_path(const std::string& op_type) { return find_fast(op_type) != nullptr; }

std::vector<std::string> supported_ops() {
  std::vector<std::string> out;
  for (const Entry& e : kReference) out.emplace_back(e.name);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ez::ops
