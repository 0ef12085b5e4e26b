// npusim bench: simulation speed on a synthetic program of about a million
// tile instructions (timing only). Prints instructions per second.
#include <chrono>
#include <cstdio>
#include <iostream>

#include <boost/program_options.hpp>

#include "sim/npu.h"
#include "tools/cli/cli.h"

namespace po = boost::program_options;

namespace cli {

namespace {

// `tasks` independent tasks; each a cube stream of `steps` double-buffered
// K-steps (2 loads, 2 moves, 1 matmul) plus one store, and a vector stream of
// `steps` load / mul / add / exp / store groups: 10 * steps + 1 instructions.
// The [128,64] bf16 B operand (16 KiB) is double-buffered in L0B where L0B
// holds two (a2a3, a5), single-buffered where it holds one (tiny).
isa::Program synthetic(uint32_t tasks, uint32_t steps, const sim::HwConfig& hw) {
  const uint32_t b_bufs = hw.buffers.l0b >= 2 * 16384 ? 2 : 1;
  using isa::DType;
  using isa::Op;
  using isa::Space;
  isa::Program p;
  p.tensors.push_back({"a", {16 * 128 * steps}, DType::BF16, isa::TensorKind::In, {}});
  p.tensors.push_back({"b", {128 * 64 * steps}, DType::BF16, isa::TensorKind::In, {}});
  p.tensors.push_back({"x", {16 * 64 * steps}, DType::FP32, isa::TensorKind::In, {}});
  p.tensors.push_back({"out", {int64_t(16) * 64 * tasks}, DType::FP32, isa::TensorKind::Out, {}});
  p.tensors.push_back({"vout", {int64_t(16) * 64 * tasks * steps}, DType::FP32, isa::TensorKind::Out, {}});
  p.sites = {"bench: launch", "bench: cube", "bench: vector"};
  auto gm = [](uint32_t t, int64_t off, uint32_t r, uint32_t c) { return isa::make_view(t, off, r, c, c); };
  const auto tile = isa::make_tile;
  for (uint32_t t = 0; t < tasks; ++t) {
    isa::Kernel k;
    k.name = "bench";
    k.vec.resize(1);
    const auto c0 = tile(Space::L0C, 0, 16, 64, DType::FP32);
    for (uint32_t s = 0; s < steps; ++s) {
      const uint32_t buf = s % 2;
      const auto a1 = tile(Space::L1, buf * 4096, 16, 128, DType::BF16);
      const auto b1 = tile(Space::L1, 8192 + buf * 16384, 128, 64, DType::BF16);
      const auto a0 = tile(Space::L0A, buf * 4096, 16, 128, DType::BF16);
      const auto b0 = tile(Space::L0B, (s % b_bufs) * 16384, 128, 64, DType::BF16);
      isa::Instr i;
      i.site = 1;
      i.op = Op::TLOAD, i.dst = a1, i.gm = gm(0, int64_t(s) * 16 * 128, 16, 128);
      k.cube.push_back(i);
      i.dst = b1, i.gm = gm(1, int64_t(s) * 128 * 64, 128, 64);
      k.cube.push_back(i);
      i = {};
      i.site = 1;
      i.op = Op::TMOV, i.dst = a0, i.a = a1;
      k.cube.push_back(i);
      i.dst = b0, i.a = b1;
      k.cube.push_back(i);
      i = {};
      i.site = 1;
      i.op = Op::TMATMUL, i.dst = c0, i.a = a0, i.b = b0, i.flags = s ? isa::kAccumulate : 0;
      k.cube.push_back(i);

      const auto x = tile(Space::UB, buf * 8192, 16, 64, DType::FP32);
      const auto y = tile(Space::UB, 16384 + buf * 8192, 16, 64, DType::FP32);
      i = {};
      i.site = 2;
      i.op = Op::TLOAD, i.dst = x, i.gm = gm(2, int64_t(s) * 16 * 64, 16, 64);
      k.vec[0].push_back(i);
      i = {};
      i.site = 2;
      i.op = Op::VBIN, i.sub = uint8_t(isa::BinOp::MUL), i.dst = y, i.a = x, i.b = x;
      k.vec[0].push_back(i);
      i.sub = uint8_t(isa::BinOp::ADD), i.a = y;
      k.vec[0].push_back(i);
      i = {};
      i.site = 2;
      i.op = Op::VUNARY, i.sub = uint8_t(isa::UnOp::EXP), i.dst = y, i.a = y;
      k.vec[0].push_back(i);
      i = {};
      i.site = 2;
      i.op = Op::TSTORE, i.a = y, i.gm = gm(4, (int64_t(t) * steps + s) * 16 * 64, 16, 64);
      k.vec[0].push_back(i);
    }
    isa::Instr st;
    st.site = 1;
    st.op = Op::TSTORE, st.a = c0, st.gm = gm(3, int64_t(t) * 16 * 64, 16, 64);
    k.cube.push_back(st);
    p.kernels.push_back(std::move(k));
    isa::Task task;
    task.kernel = t;
    task.site = 0;
    p.tasks.push_back(task);
  }
  return p;
}

}  // namespace

int cmd_bench(const std::vector<std::string>& args) {
  return guarded([&] {
    po::options_description desc("npusim bench options");
    desc.add_options()("help,h", "this help")(
        "hw", po::value<std::string>()->default_value(default_hw_file()),
        "hardware config; default: configs/hw/a2a3.yaml of npusim's tree, from any directory")(
        "tasks", po::value<uint32_t>()->default_value(2000), "synthetic tasks")(
        "steps", po::value<uint32_t>()->default_value(50), "K-steps per task (10 instructions each)");
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: npusim bench [--hw FILE] [--tasks N] [--steps N]\n"
                   "Measures the simulator's speed: simulates a synthetic program (N independent tasks, each a\n"
                   "cube stream of K-steps of loads, moves and a matmul and a vector stream of load / mul / add /\n"
                   "exp / store groups: 10 instructions per step, about a million by default; timing only) and\n"
                   "prints its instructions, tasks and simulated cycles, then the wall time and the instructions\n"
                   "per second.\n"
                   "\nExit status: 0 measured; 2 bad input (an option, the hardware file); 3 an internal\n"
                   "error (a bug in npusim).\n\n"
                << desc;
      return kOk;
    }
    po::notify(vm);
    const sim::HwConfig hw = load_hw_source(vm["hw"].as<std::string>(), {}, vm["hw"].defaulted()).resolve();
    const isa::Program p = synthetic(vm["tasks"].as<uint32_t>(), vm["steps"].as<uint32_t>(), hw);
    const sim::RunResult r = sim::simulate(p, hw, {});
    const double wall = r.report["sim"]["wall_s"].get<double>();
    const uint64_t n = r.report["totals"]["instructions"].get<uint64_t>();
    std::printf("bench: %llu instructions in %llu tasks, %llu simulated cycles\n", (unsigned long long)n,
                (unsigned long long)p.tasks.size(), (unsigned long long)r.total_cycles);
    std::printf("bench: %.3f s wall, %.2f M instructions/s\n", wall, double(n) / wall / 1e6);
    return kOk;
  });
}

}  // namespace cli
