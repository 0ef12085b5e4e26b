// Fuzz the PTO importer (frontends/pto, npusim run --launch): parse a .pto
// file, then expand each of its first functions with 64x64 tensors for the
// pointer parameters and 16 for the others (a mixed kernel's cube half with
// its vector half for vector cores 0 and 1, as a launch does), and validate
// what comes out. Bad input must be a PtoError or another isa::InputError.
#include "frontends/pto/pto.h"
#include "isa/validate.h"
#include "tests/fuzz/fuzz_input.h"

namespace {
struct Sites : pto::SiteFn {
  isa::Program* p;
  uint32_t operator()(uint32_t line, const std::string& op) override {
    p->sites.push_back(op + ":" + std::to_string(line));
    return uint32_t(p->sites.size() - 1);
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const pto::Module m = pto::parse_module(text, "fuzz.pto");
    for (size_t fi = 0; fi < m.funcs.size() && fi < 4; ++fi) {
      const pto::Module::Func& f = m.funcs[fi];
      isa::Program p;
      std::vector<pto::Arg> args;
      for (const pto::Param& prm : f.params) {
        if (prm.pointer) {
          isa::Tensor t;
          t.name = "t" + std::to_string(p.tensors.size());
          t.shape = {64, 64};
          t.dtype = prm.dtype;
          args.push_back({true, uint32_t(p.tensors.size()), 0});
          p.tensors.push_back(t);
        } else {
          args.push_back({false, 0, 16});
        }
      }
      Sites sites;
      sites.p = &p;
      const pto::Module::Func* v = f.cube && !f.peer.empty() ? m.find(f.peer) : nullptr;
      pto::Pipe cp;
      if (v) {
        cp.role = pto::Pipe::Cube;
        cp.consumer_bytes = 4096;
      }
      pto::Expanded e = pto::expand(m, f, args, p, sites, 1, 2, 20000, 200000, cp);
      isa::Kernel k;
      k.name = f.name;
      if (f.cube)
        k.cube = std::move(e.instrs);
      else
        k.vec.push_back(std::move(e.instrs));
      if (v && !v->cube)
        for (int64_t sb = 0; sb < 2; ++sb) {
          std::vector<pto::Arg> va;  // by parameter name, 16 where the cube half has none
          bool bound = true;         // every pointer: the launch binds it from the cube half's
          for (const pto::Param& prm : v->params) {
            pto::Arg a{false, 0, prm.name == "__pypto_spmd_subblock_idx" ? sb : 16};
            for (size_t i = 0; i < f.params.size(); ++i)
              if (f.params[i].name == prm.name && f.params[i].type == prm.type) a = args[i];
            bound = bound && a.tensor == prm.pointer;
            va.push_back(a);
          }
          if (!bound) break;
          pto::Pipe vp;
          vp.role = pto::Pipe::Vector;
          vp.subblock = sb;
          vp.pushed = &e.pushed;
          k.vec.push_back(pto::expand(m, *v, va, p, sites, 1, 2, 20000, 200000, vp).instrs);
        }
      p.kernels.push_back(std::move(k));
      try {
        isa::validate_program(p);  // the kernel, not launched
      } catch (const isa::InputError&) {
      }
    }
  } catch (const isa::InputError&) {
  }
  return 0;
}
