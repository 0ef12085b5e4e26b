// Small helpers for hand-built test programs (tests only).
#pragma once

#include <string>
#include <vector>

#include "isa/isa.h"
#include "sim/hw_config.h"

namespace testdsl {

inline sim::HwConfig tiny_hw() {
  return sim::load_hw_config(std::string(NPUSIM_SOURCE_DIR) + "/configs/hw/tiny.yaml");
}

inline isa::Tile tile(isa::Space s, uint32_t offset, uint16_t rows, uint16_t cols, isa::DType t) {
  return isa::make_tile(s, offset, rows, cols, t);
}

inline isa::GmView view(uint32_t tensor, int64_t offset, uint32_t rows, uint32_t cols, uint32_t stride) {
  return isa::make_view(tensor, offset, rows, cols, stride);
}

inline isa::Instr load(isa::Tile dst, isa::GmView src) {
  isa::Instr i;
  i.op = isa::Op::TLOAD;
  i.dst = dst;
  i.gm = src;
  return i;
}

inline isa::Instr store(isa::GmView dst, isa::Tile src) {
  isa::Instr i;
  i.op = isa::Op::TSTORE;
  i.a = src;
  i.gm = dst;
  return i;
}

inline isa::Instr op2(isa::Op op, uint8_t sub, isa::Tile dst, isa::Tile a, isa::Tile b = {}) {
  isa::Instr i;
  i.op = op;
  i.sub = sub;
  i.dst = dst;
  i.a = a;
  i.b = b;
  return i;
}

inline isa::Instr fill(isa::Tile dst, float v) {
  isa::Instr i;
  i.op = isa::Op::VFILL;
  i.dst = dst;
  i.imm = v;
  return i;
}

inline isa::Instr flag_op(isa::Op op, int flag) {
  isa::Instr i;
  i.op = op;
  i.imm = float(flag);
  return i;
}

// A program with the given tensors (name, elems, dtype) and one site.
inline isa::Program program(const std::vector<std::tuple<std::string, int64_t, isa::DType>>& tensors) {
  isa::Program p;
  for (const auto& [name, n, t] : tensors) {
    isa::Tensor x;
    x.name = name;
    x.shape = {n};
    x.dtype = t;
    x.kind = isa::TensorKind::InOut;
    p.tensors.push_back(x);
  }
  p.sites.push_back("k: op");
  return p;
}

// Adds a kernel and a task that launches it; returns the task index.
inline uint32_t add_task(isa::Program& p, const std::string& name, std::vector<isa::Instr> cube,
                         std::vector<std::vector<isa::Instr>> vec, std::vector<uint32_t> deps = {}) {
  isa::Kernel k;
  k.name = name;
  k.cube = std::move(cube);
  k.vec = std::move(vec);
  p.kernels.push_back(std::move(k));
  isa::Task t;
  t.kernel = uint32_t(p.kernels.size() - 1);
  t.deps = std::move(deps);
  p.tasks.push_back(std::move(t));
  return uint32_t(p.tasks.size() - 1);
}

}  // namespace testdsl
