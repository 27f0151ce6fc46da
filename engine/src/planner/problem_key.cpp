#include "problem_key.hpp"

#include <cstdio>
#include <cstring>

#include "kernels/isa.hpp"

namespace shiftnn::detail {
namespace {

constexpr uint64_t kFnvOffset = 1469598103934665603ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

uint64_t fnv1a(uint64_t h, const void* data, size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * kFnvPrime;
  return h;
}

// -0.0 and 0.0 are the same displacement.
uint32_t float_bits(float v) {
  if (v == 0.0f) return 0;
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

// Final avalanche (MurmurHash3's fmix64) so nearby tables differ in every bit.
uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 33);
}

std::string hex64(uint64_t v) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

}  // namespace

uint64_t displacement_hash(const ShiftSpec& spec) {
  // One 64-bit word per channel, four independent multiply chains: a wisdom hit for
  // C = 768 stays well under a microsecond.
  const size_t channels = spec.dh.size();
  const auto word = [&](size_t c) {
    return uint64_t{float_bits(spec.dh[c])} << 32 | float_bits(spec.dw[c]);
  };
  uint64_t a = kFnvOffset, b = kFnvOffset ^ 1, c = kFnvOffset ^ 2, d = kFnvOffset ^ 3;
  size_t i = 0;
  for (; i + 4 <= channels; i += 4) {
    a = (a ^ word(i)) * kFnvPrime;
    b = (b ^ word(i + 1)) * kFnvPrime;
    c = (c ^ word(i + 2)) * kFnvPrime;
    d = (d ^ word(i + 3)) * kFnvPrime;
  }
  for (; i < channels; ++i) a = (a ^ word(i)) * kFnvPrime;
  return mix(mix(mix(mix(channels ^ a) ^ b) ^ c) ^ d);
}

std::string problem_key(const ShiftProblem& p, int threads) {
  // One snprintf: this is on the path of every Strategy::automatic.
  char key[192];
  std::snprintf(key, sizeof key, "shift/f32/%s/%lldx%lldx%lldx%lld/%s/t%d/%s/d=%016llx",
                layout_name(p.layout), static_cast<long long>(p.shape.n),
                static_cast<long long>(p.shape.c), static_cast<long long>(p.shape.h),
                static_cast<long long>(p.shape.w), boundary_name(p.spec.boundary), threads,
                kernels::isa_name(kernels::active_isa()),
                static_cast<unsigned long long>(displacement_hash(p.spec)));
  return key;
}

bool parse_candidate(const std::string& name, Candidate* out) {
  // strategy/isa/tN[/variant]
  const size_t a = name.find('/');
  if (a == std::string::npos) return false;
  const size_t b = name.find('/', a + 1);
  if (b == std::string::npos) return false;
  const size_t c = name.find('/', b + 1);
  const std::string strategy = name.substr(0, a), isa = name.substr(a + 1, b - a - 1);
  const std::string threads = name.substr(b + 1, c == std::string::npos ? c : c - b - 1);
  if (isa != kernels::isa_name(kernels::active_isa())) return false;
  Candidate cand;
  if (c != std::string::npos) {
    cand.variant = name.substr(c + 1);
  }
  bool known = false;
  for (Strategy s : all_strategies()) {
    if (strategy == strategy_name(s)) {
      cand.strategy = s;
      known = true;
    }
  }
  if (!known || threads.size() < 2 || threads[0] != 't') return false;
  if (!why_no_variant(cand.strategy, Layout::nchw, cand.variant).empty()) return false;
  int t = 0;
  for (size_t i = 1; i < threads.size(); ++i) {
    if (threads[i] < '0' || threads[i] > '9' || t > 100000) return false;
    t = t * 10 + (threads[i] - '0');
  }
  if (t < 1) return false;
  cand.threads = t;
  *out = cand;
  return true;
}

std::string candidate_set_signature() {
  // Strategies, the variant axis and the name format, as one string.
  std::string set = "names=strategy/isa/tN[/variant];strategies=";
  for (Strategy s : all_strategies()) set += std::string(strategy_name(s)) + ",";
  set += ";variants=";
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    for (Strategy s : all_strategies()) {
      for (const std::string& v : strategy_variants(s, layout)) {
        set += std::string(layout_name(layout)) + "/" + strategy_name(s) + "/" + v + ",";
      }
    }
  }
  return hex64(fnv1a(kFnvOffset, set.data(), set.size()));
}

}  // namespace shiftnn::detail
