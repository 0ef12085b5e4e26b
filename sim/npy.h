// NumPy .npy files for the functional mode: tensor inputs (--inputs DIR),
// tensor dumps (--dump DIR), and the deterministic input generator used for
// every input that has no file. Plain C++, no dependency.
//
// Format (numpy.lib.format): magic "\x93NUMPY", version 1.0 (uint16 header
// length) or 2.0/3.0 (uint32), then a Python dict literal with 'descr',
// 'fortran_order' and 'shape'. Supported here:
// - read: '<f4' (float32), '<i4' (int32), '<u2' (uint16: bf16 bit patterns);
//   C order only (fortran_order True is an error);
// - write: '<f4' and '<i4', version 1.0 (2.0 on request), header padded to a
//   multiple of 64 bytes as numpy does.
// Every read error is an NpyError whose message starts with the file's path
// and says what is wrong ("x.npy: bad magic (not a .npy file)",
// "x.npy: unsupported dtype '<f8' ...", "wq.npy: shape (3, 4) does not match
// tensor wq [8192, 8192]"); the sizes a header announces are checked against
// the file's size before anything is allocated. A write that fails (full
// disk, a directory in the way) is a sim::FileError naming the file and the
// OS reason (sim/file_io.h).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "isa/isa.h"

namespace sim {

class FunctionalState;

struct NpyError : isa::InputError {
  using isa::InputError::InputError;
};

struct NpyArray {
  std::string descr;            // "<f4", "<i4" or "<u2"
  std::vector<int64_t> shape;   // () for a scalar
  std::vector<float> f32;       // filled for "<f4"
  std::vector<int32_t> i32;     // filled for "<i4"
  std::vector<uint16_t> u16;    // filled for "<u2"
  int64_t elems() const;
};

NpyArray read_npy(const std::string& path);
void write_npy(const std::string& path, const std::vector<int64_t>& shape, const float* data, int version = 1);
void write_npy(const std::string& path, const std::vector<int64_t>& shape, const int32_t* data, int version = 1);

// "(3, 4)", "(7,)", "()": a shape as numpy prints it.
std::string npy_shape_string(const std::vector<int64_t>& shape);

struct InputsReport {
  std::vector<std::string> loaded;     // tensor names read from DIR/NAME.npy
  std::vector<std::string> generated;  // tensor names made from the seed
};

// Fill every In and InOut tensor of `program` in `state`:
// - from DIR/NAME.npy when `dir` is not empty and the file exists. The
//   file's shape must equal the tensor's, except that a 1-D side matches any
//   shape with the same element count (so [1, H] accepts (H,) and a flattened
//   dump). dtype: int32 tensors need '<i4'; bf16/fp16/fp32 tensors take
//   '<f4' (rounded to the tensor's dtype, nearest even), bf16 tensors also
//   '<u2' (bit patterns, taken as they are).
// - otherwise generated from `seed` (see generate_input). Files for other
//   tensors (Out, Scratch, unknown names) are ignored, so a dump directory is
//   a valid inputs directory. A `dir` that is not a directory is an error.
// Out and Scratch tensors are left as they are (zero in a fresh state).
InputsReport load_inputs(FunctionalState& state, const isa::Program& program, const std::string& dir,
                         uint64_t seed);

// Generate one tensor deterministically: the values depend only on `seed`,
// the tensor's name, shape and dtype (so two variants of a workload that
// share a tensor name get the same data). Per tensor, std::mt19937_64 is
// seeded with splitmix64(seed ^ splitmix64(fnv1a64(name))); each element
// draws u = (next() >> 40) * 2^-24 - 0.5, uniform in [-0.5, 0.5) on a 2^-24
// grid, in row-major order. Values, by the tensor's role (isa::InputRole,
// which the workload that declares it sets):
// - weight: 2u / sqrt(fan_in), fan_in = the first dimension (rows: the K of
//   x @ W), i.e. uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)) as PyTorch's
//   nn.Linear initialises;
// - gain: 1 + 0.2u, in [0.9, 1.1);
// - cache: 2u, in [-1, 1) (the spread of the projected k/v);
// - rope_cos, rope_sin [S, D]: cos / sin(p * inv_freq[j mod D/2]) for row p,
//   column j, with inv_freq[i] = 1e6^(-2i/D) (Qwen3's rope_theta, half-split
//   layout), computed in double; no draws;
// - int32 tensors: the tensor's init values when it has them, else zeros
//   (random integers could be out-of-range offsets); no draws;
// - data (any other float tensor): u, in [-0.5, 0.5).
// Every value is then rounded to the tensor's dtype (nearest even).
void generate_input(FunctionalState& state, const isa::Program& program, uint32_t tensor, uint64_t seed);

// Write every tensor as DIR/NAME.npy ('<f4' for bf16/fp16/fp32 tensors,
// '<i4' for int32), with the tensor's shape. Creates DIR if needed.
void dump_tensors(const FunctionalState& state, const isa::Program& program, const std::string& dir);

}  // namespace sim
