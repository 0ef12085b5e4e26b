// Fuzz the .npy reader (--inputs DIR). An array it reads as '<f4' or '<i4'
// must write back (write_npy, as --dump does) and read back to the same shape
// and bytes.
#include <cstring>

#include "sim/npy.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

template <class T>
bool same_bytes(const std::vector<T>& x, const std::vector<T>& y) {
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(T)) == 0);
}

void round_trip(const sim::NpyArray& a) {
  static fuzz::InputFile out;
  if (a.descr == "<f4")
    sim::write_npy(out.path(), a.shape, a.f32.data());
  else
    sim::write_npy(out.path(), a.shape, a.i32.data());
  const sim::NpyArray b = sim::read_npy(out.path());
  if (b.descr != a.descr || b.shape != a.shape || !same_bytes(a.f32, b.f32) || !same_bytes(a.i32, b.i32))
    fuzz::fail("write_npy then read_npy changed the array " + sim::npy_shape_string(a.shape) + " " + a.descr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile file;
  sim::NpyArray a;
  try {
    a = sim::read_npy(file.write(data, size));
  } catch (const isa::InputError&) {
    return 0;
  }
  if (a.descr == "<f4" || a.descr == "<i4") round_trip(a);
  return 0;
}
