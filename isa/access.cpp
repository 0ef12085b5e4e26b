#include "isa/access.h"

#include "isa/ops.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <tuple>

namespace isa {

GmRange GmAccess::hull(const Program& p) const {
  const Tensor& t = p.tensors.at(tensor);
  if (whole) return GmRange{tensor, 0, uint64_t(std::max<int64_t>(0, t.bytes()))};
  const int64_t d = dtype_bytes(t.dtype);
  const int64_t last = first + make_view(tensor, first, rows, cols, stride).span();
  return GmRange{tensor, uint64_t(std::max<int64_t>(0, first * d)), uint64_t(std::max<int64_t>(0, last * d))};
}

bool GmAccess::operator==(const GmAccess& o) const {
  return std::tie(tensor, write, whole, reg, first, rows, cols, stride) ==
         std::tie(o.tensor, o.write, o.whole, o.reg, o.first, o.rows, o.cols, o.stride);
}

std::vector<bool> known_before_run(const Program& p) {
  std::vector<bool> known(p.tensors.size(), false);
  for (size_t i = 0; i < p.tensors.size(); ++i) {
    const Tensor& t = p.tensors[i];
    known[i] = t.dtype == DType::INT32 && !t.init.empty() && int64_t(t.init.size()) == t.elems();
  }
  // The tensors each launched kernel stores to, then each task's through its binding.
  std::vector<std::vector<uint32_t>> stored(p.kernels.size());
  std::vector<bool> seen(p.kernels.size(), false);
  for (const Task& task : p.tasks) {
    if (task.kernel >= p.kernels.size() || seen[task.kernel]) continue;
    seen[task.kernel] = true;
    const Kernel& k = p.kernels[task.kernel];
    auto scan = [&](const std::vector<Instr>& s) {
      for (const Instr& in : s)
        if (op_info(in.op).gm_write && in.gm.tensor < known.size()) stored[task.kernel].push_back(in.gm.tensor);
    };
    scan(k.cube);
    for (const auto& v : k.vec) scan(v);
  }
  for (const Task& task : p.tasks) {
    if (task.kernel >= p.kernels.size()) continue;
    const Binding* b = task.binding < p.bindings.size() ? &p.bindings[task.binding] : nullptr;
    for (uint32_t t : stored[task.kernel]) {
      const uint32_t u = b ? b->tensor(t) : t;
      if (u < known.size()) known[u] = false;
    }
  }
  return known;
}

namespace {
// Register values beyond this are treated as unknown: R * reg_scale then fits
// in int64 for any int32 scale, and no tensor is that large anyway.
constexpr int64_t kMaxReg = int64_t(1) << 31;
}  // namespace

std::vector<InstrAccess> stream_gm_accesses(const Program& p, const std::vector<Instr>& stream,
                                            const std::vector<bool>& known, uint32_t block, const Binding* binding) {
  std::array<std::optional<int64_t>, kNumRegs> regs{};  // nullopt: not known before the run
  std::vector<InstrAccess> out;
  for (uint32_t i = 0; i < stream.size(); ++i) {
    const Instr& in = stream[i];
    const OpInfo& op = op_info(in.op);
    if (op.uses(Operand::Gm)) {
      const GmView& v = in.gm;
      GmAccess a;
      const BoundTensor* bound = binding ? binding->find(v.tensor) : nullptr;
      a.tensor = bound ? bound->to : v.tensor;
      a.write = op.gm_write;
      a.reg = v.reg;
      a.first = v.offset + (bound ? bound->offset : 0);
      a.rows = v.rows;
      a.cols = v.cols;
      a.stride = v.rows <= 1 ? v.cols : v.row_stride;
      if (v.reg != -1) {
        if (v.reg >= 0 && v.reg < kNumRegs && regs[size_t(v.reg)])
          a.first += *regs[size_t(v.reg)] * v.reg_scale;
        else
          a.whole = true;
      }
      if (a.write && in.flags & kAtomicAdd) {  // reads what it adds to, then writes it
        a.write = false;
        out.push_back({i, a});
        a.write = true;
      }
      out.push_back({i, a});
    }
    if ((in.op == Op::SLOAD || in.op == Op::SADD || in.op == Op::SBLOCK) && (in.reg < 0 || in.reg >= kNumRegs))
      continue;
    if (in.op == Op::SBLOCK) regs[size_t(in.reg)] = int64_t(block);
    if (in.op == Op::SLOAD) {
      std::optional<int64_t>& r = regs[size_t(in.reg)];
      r.reset();
      const GmAccess& a = out.back().access;
      if (!a.whole && a.tensor < known.size() && known[a.tensor] && a.first >= 0 &&
          a.first < int64_t(p.tensors[a.tensor].init.size()))
        r = p.tensors[a.tensor].init[size_t(a.first)];
    } else if (in.op == Op::SADD) {
      std::optional<int64_t>& r = regs[size_t(in.reg)];
      if (r && std::isfinite(in.imm) && std::fabs(in.imm) <= float(kMaxReg)) *r += int64_t(in.imm);
      else r.reset();
      if (r && std::llabs(*r) > kMaxReg) r.reset();
    }
  }
  return out;
}

}  // namespace isa
