// Number formats of the functional data path: bf16 and fp16 bit patterns,
// round to nearest even, and value rounding to a tile/tensor dtype.
// Plain C++, header-only, no SystemC.
//
// Conventions (IEEE 754 binary32 -> bf16/binary16):
// - round to nearest, ties to even; values past the largest finite number by
//   half an ulp or more become infinity (so the largest fp32 becomes bf16 inf);
// - subnormal results are kept (no flush to zero);
// - a NaN stays a NaN of the same sign: the top payload bits are kept and the
//   quiet bit is set (truncating a signalling NaN's low payload would
//   otherwise give infinity).
// - fp32 -> int32 (VCAST, int32 tensors): nearest, ties to even; NaN -> 0;
//   out-of-range values saturate to INT32_MIN / INT32_MAX.
// - VCAST's other rounding modes (isa::RoundMode, round_to below) pick one of
//   the two neighbours of an inexact value, as IEEE 754's directed roundings
//   and roundTiesToAway do: an infinity is the neighbour past the largest
//   finite number (toward +-inf, and to nearest, ties away, from half an ulp
//   past it); toward zero and to odd never overflow.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "isa/isa.h"

namespace sim::num {

inline uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

inline float f32_from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// fp32 -> bf16 bit pattern, round to nearest even.
inline uint16_t f32_to_bf16_bits(float f) {
  uint32_t x = f32_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x0040u);  // NaN: quiet it
  x += 0x7fffu + ((x >> 16) & 1u);
  return uint16_t(x >> 16);
}

inline float bf16_bits_to_f32(uint16_t h) { return f32_from_bits(uint32_t(h) << 16); }

// The bf16 value nearest to f (ties to even), as a float.
inline float round_bf16(float f) { return bf16_bits_to_f32(f32_to_bf16_bits(f)); }

// fp32 -> IEEE binary16 bit pattern, round to nearest even.
inline uint16_t f32_to_f16_bits(float f) {
  const uint32_t x = f32_bits(f);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) {  // inf or NaN
    if (ax == 0x7f800000u) return uint16_t(sign | 0x7c00u);
    return uint16_t(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));  // quiet NaN, top payload bits kept
  }
  if (ax >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // >= 65520: rounds to inf
  const uint32_t e = ax >> 23;
  if (e >= 113) {  // normal half: rebias 127 -> 15, round away 13 mantissa bits
    const uint32_t r = ax + 0x0fffu + ((ax >> 13) & 1u);
    return uint16_t(sign | ((r - (112u << 23)) >> 13));
  }
  // Subnormal half: k * 2^-24 with k = round(M * 2^(e - 126)), M = 24-bit mantissa.
  if (e < 102) return sign;  // below 2^-25: rounds to zero
  const uint32_t m = (ax & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126 - e;  // 14..24
  uint32_t q = m >> shift;
  const uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
  if (rem > half || (rem == half && (q & 1u))) ++q;  // q == 0x400 is the smallest normal: still right
  return uint16_t(sign | q);
}

inline float f16_bits_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0) {
    const float v = float(m) * 5.9604644775390625e-8f;  // m * 2^-24, exact
    return sign ? -v : v;
  }
  if (e == 31) return f32_from_bits(sign | 0x7f800000u | (m << 13));
  return f32_from_bits(sign | ((e + 112u) << 23) | (m << 13));
}

inline float round_f16(float f) { return f16_bits_to_f32(f32_to_f16_bits(f)); }

// fp32 -> int32, nearest even, NaN -> 0, saturating.
inline int32_t f32_to_i32(float f) {
  if (std::isnan(f)) return 0;
  const double r = std::nearbyint(double(f));  // default rounding mode: ties to even
  if (r <= -2147483648.0) return std::numeric_limits<int32_t>::min();
  if (r >= 2147483647.0) return std::numeric_limits<int32_t>::max();
  return int32_t(r);
}

// The value f becomes when stored as dtype t (int32: rounded to an integer).
inline float round_to(float f, isa::DType t) {
  switch (t) {
    case isa::DType::BF16: return round_bf16(f);
    case isa::DType::FP16: return round_f16(f);
    case isa::DType::FP32: return f;
    case isa::DType::INT32: return float(f32_to_i32(f));
  }
  return f;
}

// The neighbour of v (a value of dtype t = BF16 or FP16) one step toward +inf
// (up) or -inf, through the bit pattern: +-0 step to the smallest subnormal,
// the largest finite number to infinity.
inline float step_16(float v, isa::DType t, bool up) {
  const bool bf = t == isa::DType::BF16;
  const uint16_t b = bf ? f32_to_bf16_bits(v) : f32_to_f16_bits(v);
  const bool neg = b & 0x8000u;
  const bool zero = (b & 0x7fffu) == 0;
  const uint16_t s = zero ? uint16_t(up ? 0x0001u : 0x8001u) : uint16_t(neg == up ? b - 1 : b + 1);
  return bf ? bf16_bits_to_f32(s) : f16_bits_to_f32(s);
}

// The value f becomes when VCAST stores it as dtype t rounding as `m` says
// (isa::RoundMode; RINT: round_to(f, t)).
inline float round_to(float f, isa::DType t, isa::RoundMode m) {
  const float r = round_to(f, t);  // to nearest, ties to even
  if (m == isa::RoundMode::RINT || t == isa::DType::FP32 || std::isnan(f) || std::isinf(f) || r == f) return r;
  if (t == isa::DType::INT32 && std::trunc(f) == f) return r;  // an integer: only saturation, the same in every mode
  // f is not a value of t: it lies strictly between neighbours lo < f < hi.
  float lo, hi;
  if (t == isa::DType::INT32) {  // |f| < 2^23 here, so the neighbours are exact floats
    lo = std::floor(f);
    hi = lo + 1.0f;
  } else if (r < f) {
    lo = r;
    hi = step_16(r, t, true);
  } else {
    hi = r;
    lo = step_16(r, t, false);
  }
  // Distances as if an infinite neighbour were one ulp past the largest finite.
  const auto value = [&](float x, float other) {
    return std::isinf(x) ? 2.0 * double(other) - double(step_16(other, t, x < 0)) : double(x);
  };
  const double dlo = double(f) - value(lo, hi), dhi = value(hi, lo) - double(f);
  const auto odd = [&](float x) {
    if (t == isa::DType::INT32) return std::fmod(double(x), 2.0) != 0.0;
    return ((t == isa::DType::BF16 ? f32_to_bf16_bits(x) : f32_to_f16_bits(x)) & 1u) != 0;
  };
  switch (m) {
    case isa::RoundMode::RINT: break;
    case isa::RoundMode::ROUND: return dlo < dhi ? lo : dhi < dlo ? hi : (f < 0 ? lo : hi);
    case isa::RoundMode::FLOOR: return lo;
    case isa::RoundMode::CEIL: return hi;
    case isa::RoundMode::TRUNC: return f < 0 ? hi : lo;
    case isa::RoundMode::ODD: return odd(lo) ? lo : hi;
  }
  return r;
}

// The value the int32 v becomes when VCAST stores it as float dtype t (BF16,
// FP16, FP32) rounding as `m` says, from the exact integer (not through fp32,
// which would round first above 2^24).
inline float round_int_to(int32_t v, isa::DType t, isa::RoundMode m) {
  if (v > -(1 << 24) && v < (1 << 24)) return round_to(float(v), t, m);  // exact in fp32
  const bool neg = v < 0;
  const uint32_t a = neg ? 0u - uint32_t(v) : uint32_t(v);  // |v| >= 2^24
  if (t == isa::DType::FP16) {  // past the largest finite half (65504): overflow, as round_to has it
    const float max = 65504.0f, inf = std::numeric_limits<float>::infinity();
    const bool toward_zero = m == isa::RoundMode::TRUNC || m == isa::RoundMode::ODD ||
                             (m == isa::RoundMode::FLOOR && !neg) || (m == isa::RoundMode::CEIL && neg);
    return (neg ? -1.0f : 1.0f) * (toward_zero ? max : inf);
  }
  // Keep the top p bits of |v| (fp32 24, bf16 8): lo and hi are its neighbours.
  const int p = t == isa::DType::BF16 ? 8 : 24;
  const int shift = 32 - __builtin_clz(a) - p;  // >= 1
  const uint32_t q = a >> shift, rem = a & ((1u << shift) - 1), half = 1u << (shift - 1);
  const double lo = double(uint64_t(q) << shift), hi = double(uint64_t(q + 1) << shift);
  double mag = lo;
  if (rem != 0) switch (m) {
      case isa::RoundMode::RINT: mag = rem > half || (rem == half && (q & 1u)) ? hi : lo; break;
      case isa::RoundMode::ROUND: mag = rem >= half ? hi : lo; break;
      case isa::RoundMode::FLOOR: mag = neg ? hi : lo; break;
      case isa::RoundMode::CEIL: mag = neg ? lo : hi; break;
      case isa::RoundMode::TRUNC: mag = lo; break;
      case isa::RoundMode::ODD: mag = (q & 1u) ? lo : hi; break;
    }
  return float(neg ? -mag : mag);  // exact: p significant bits at most (hi may carry to p + 1 bits: a power of two)
}

// Load / store one element of dtype t at p (little-endian host, unaligned ok).
inline float load_elem(const uint8_t* p, isa::DType t) {
  switch (t) {
    case isa::DType::BF16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      return bf16_bits_to_f32(h);
    }
    case isa::DType::FP16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      return f16_bits_to_f32(h);
    }
    case isa::DType::FP32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    case isa::DType::INT32: {
      int32_t i;
      std::memcpy(&i, p, 4);
      return float(i);
    }
  }
  return 0.0f;
}

inline void store_elem(uint8_t* p, isa::DType t, float v) {
  switch (t) {
    case isa::DType::BF16: {
      const uint16_t h = f32_to_bf16_bits(v);
      std::memcpy(p, &h, 2);
      return;
    }
    case isa::DType::FP16: {
      const uint16_t h = f32_to_f16_bits(v);
      std::memcpy(p, &h, 2);
      return;
    }
    case isa::DType::FP32: std::memcpy(p, &v, 4); return;
    case isa::DType::INT32: {
      const int32_t i = f32_to_i32(v);
      std::memcpy(p, &i, 4);
      return;
    }
  }
}

}  // namespace sim::num
