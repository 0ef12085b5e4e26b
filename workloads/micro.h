// Micro-workloads: the timing model's own test cases (configs/workloads/*.yaml).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "isa/isa.h"
#include "workloads/target.h"

namespace workloads {

// Tiled GEMM C[M,N] (fp32) = A[M,K] (bf16) x B[K,N] (bf16). Each output tile
// [tile_m, tile_n] runs K/tile_k K-steps (load A, load B, matmul_acc) and one
// store; output tiles are a pl.parallel split into tasks of tiles_per_task.
struct GemmParams {
  int64_t M = 256, N = 1024, K = 2048;
  int64_t tile_m = 128, tile_n = 128, tile_k = 256;
  int64_t tiles_per_task = 1;
};
isa::Program build_gemm(const GemmParams& p, const Target& target = {});

// A chain of element-wise ops over [tile_rows, tile_cols] fp32 tiles of
// x[rows, cols]; binary ops take the matching tile of y. Result stored to out.
struct VectorChainParams {
  int64_t rows = 64, cols = 8192;
  int64_t tile_rows = 16, tile_cols = 1024;
  int64_t tiles_per_task = 8;
  // add sub mul div max min (with y), adds subs muls divs maxs mins (with
  // `scalar`), exp sqrt recip neg abs, row_sum/row_max are not element-wise.
  std::vector<std::string> ops = {"mul", "add", "exp", "muls", "recip"};
  float scalar = 0.5f;
};
isa::Program build_vector_chain(const VectorChainParams& p, const Target& target = {});
// The op names vector_chain accepts.
const std::vector<std::string>& vector_chain_op_names();

// N DMA transfers of S bytes each (bf16 payload), all to distinct GM
// addresses, spread over `tasks` tasks.
enum class DmaDirection { GmToUb, GmToL1, UbToGm };
struct DmaSweepParams {
  int64_t count = 64;
  int64_t bytes = 4096;
  int64_t rows = 1;  // a transfer of S bytes as [rows, S/rows/2] bf16
  int64_t tasks = 1;
  DmaDirection direction = DmaDirection::GmToUb;
};
isa::Program build_dma_sweep(const DmaSweepParams& p, const Target& target = {});

// Many small kernels (load [rows, cols] fp32, add a scalar, store): launch
// overhead. Independent by default; chain: each reads the previous one's output.
struct ManyKernelsParams {
  int64_t kernels = 1000;
  int64_t rows = 16, cols = 64;
  bool chain = false;
};
isa::Program build_many_kernels(const ManyKernelsParams& p, const Target& target = {});

}  // namespace workloads
