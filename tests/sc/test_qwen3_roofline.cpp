// Qwen3-32B single-layer decode at full size (configs/workloads/
// qwen3_32b_decode_{baseline,fused_qkrope,reviewed}.yaml, seq_lens all 4096):
// the simulated time never beats the roofline, and the roofline is the one
// derived here by hand. One SystemC simulation per test process (ctest runs
// each TEST alone), so exactly one simulate() per TEST.
//
// GM bound. gm.bandwidth_gbps is GB/s (1e9 B/s) and clock_ghz is 1e9 cycles/s:
//   B/cycle = bandwidth_gbps * 1e9 / (clock_ghz * 1e9) = bandwidth_gbps / clock_ghz
//   a2a3 and a5: 1600 / 1.85 = 864.86 B/cycle, shared by every core group;
//   gm_bound_cycles = ceil(totals.dma_bytes / (bandwidth_gbps / clock_ghz))
//   (payload bytes: burst rounding is not charged to the bound).
// Cube bound. One 16x16x16 fractal = 2 * 4096 flops per cycle per cube core:
//   cube_bound_cycles = ceil(flops / (2 * 4096 * fractals_per_cycle * core_groups)).
// Hand counts, the same for the three variants (spec section 1; M = 16 rows
// everywhere: B = 16 for the projections, Q_HEAD_PAD = 16 for attention):
//   weights (bf16): wq + wo 2 * 8192 * 8192 * 2 B = 268,435,456
//                   wk + wv 2 * 8192 * 1024 * 2 B =  33,554,432
//                   w_gate + w_up + w_down 3 * 8192 * 25600 * 2 B = 1,258,291,200
//                   total 1,560,281,088 B = 780,140,544 parameters
//   KV cache read at seq_len 4096: K and V, 16 b * 8 heads * 4096 rows * 128 * 2 B
//                   = 2 * 134,217,728 = 268,435,456 B
//   so every variant moves at least 1,828,716,544 B (each weight and each
//   cache row read once), i.e. gm_bound >= 1828716544 / 864.86 = 2,114,453 cycles.
//   flops: projections 2 * 16 * 780,140,544 = 24,964,497,408
//          qk and sv: 2 * (16 b * 8 groups * 16 rows * 128 * 4096 * 2) = 4,294,967,296
//          total 29,259,464,704
//   cube bound a2a3 (24 groups): 29259464704 / 196608 = 148,821.3 -> 148,822 cycles
//   cube bound a5 (36 groups):   29259464704 / 294912 =  99,214.2 ->  99,215 cycles
// Decode is memory-bound: the GM bound (> 2.1M cycles) is over 14x the cube
// bound, so bound_cycles == gm_bound_cycles.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "isa/validate.h"
#include "sim/hw_config.h"
#include "sim/npu.h"
#include "workloads/workload.h"

namespace {

constexpr uint64_t kCompulsoryBytes = 1828716544ull;  // weights + KV cache, see above
constexpr uint64_t kFlops = 29259464704ull;

std::string source_path(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

void check_roofline(const std::string& variant, const std::string& hw_name, uint64_t cube_bound_by_hand) {
  const isa::Program program =
      workloads::build_workload_file(source_path("configs/workloads/qwen3_32b_decode_" + variant + ".yaml"));
  ASSERT_NO_THROW(isa::validate_program(program));
  const sim::HwConfig hw = sim::load_hw_config(source_path("configs/hw/" + hw_name + ".yaml"));
  const sim::RunResult r = sim::simulate(program, hw, {});

  const auto& rf = r.report["roofline"];
  const auto& totals = r.report["totals"];
  const uint64_t bound = rf["bound_cycles"].get<uint64_t>();
  const uint64_t gm_bound = rf["gm_bound_cycles"].get<uint64_t>();
  const uint64_t cube_bound = rf["cube_bound_cycles"].get<uint64_t>();
  const uint64_t dma_bytes = totals["dma_bytes"].get<uint64_t>();

  // Nothing beats the roofline.
  EXPECT_GT(r.total_cycles, 0u);
  EXPECT_GE(r.total_cycles, bound);
  EXPECT_EQ(r.report["total_cycles"].get<uint64_t>(), r.total_cycles);
  // The bound is the slower of its two parts.
  EXPECT_EQ(bound, std::max(gm_bound, cube_bound));
  // The GM part recomputed from the payload bytes (header derivation).
  const double bytes_per_cycle = hw.gm.bandwidth_gbps / hw.clock_ghz;
  EXPECT_EQ(gm_bound, uint64_t(std::ceil(double(dma_bytes) / bytes_per_cycle)));
  // The cube part from the hand-counted flops.
  EXPECT_EQ(totals["flops"].get<uint64_t>(), kFlops);
  EXPECT_EQ(cube_bound, cube_bound_by_hand);
  // Every weight and every cache row crosses GM at least once; decode is memory-bound.
  EXPECT_GE(dma_bytes, kCompulsoryBytes);
  EXPECT_EQ(bound, gm_bound);
  EXPECT_GT(gm_bound, 14 * cube_bound);
  // The ratio the report prints is simulated / bound.
  EXPECT_DOUBLE_EQ(rf["ratio"].get<double>(), double(r.total_cycles) / double(bound));
}

}  // namespace

TEST(Qwen3Roofline, BaselineA2a3) { check_roofline("baseline", "a2a3", 148822); }

TEST(Qwen3Roofline, FusedQkropeA2a3) { check_roofline("fused_qkrope", "a2a3", 148822); }

TEST(Qwen3Roofline, ReviewedA2a3) { check_roofline("reviewed", "a2a3", 148822); }

TEST(Qwen3Roofline, FusedQkropeA5) { check_roofline("fused_qkrope", "a5", 99215); }
