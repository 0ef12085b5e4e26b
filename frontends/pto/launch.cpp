// A launch file: .pto kernels, the GM tensors bound to their pointer
// arguments and the launches, into one isa::Program (docs/pto_import.md).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <unordered_map>

#include <yaml-cpp/yaml.h>

#include "frontends/pto/ast.h"
#include "frontends/pto/pto.h"
#include "isa/access.h"
#include "isa/validate.h"
#include "isa/yaml_map.h"

namespace pto {

namespace {

using isa::yaml_line;
// A mapping of the launch file; unknown keys are errors.
using Map = isa::YamlMap<PtoError>;

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

std::string read_text(const std::string& path, const std::string& why) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw PtoError("cannot read " + why + " " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw PtoError("cannot read " + why + " " + path);
  return ss.str();
}

struct Sites : SiteFn {
  isa::Program* p;
  std::string func, file;
  std::unordered_map<std::string, uint32_t> index;
  uint32_t operator()(uint32_t line, const std::string& op) override {
    const std::string name = func + ": " + op + " (" + file + ":" + std::to_string(line) + ")";
    auto it = index.find(name);
    if (it != index.end()) return it->second;
    p->sites.push_back(name);
    return index[name] = uint32_t(p->sites.size() - 1);
  }
};

// Byte ranges, merged where they overlap or touch.
std::vector<isa::GmRange> merged(std::vector<isa::GmRange> r) {
  std::sort(r.begin(), r.end(), [](const isa::GmRange& a, const isa::GmRange& b) {
    return a.tensor != b.tensor ? a.tensor < b.tensor : a.begin < b.begin;
  });
  std::vector<isa::GmRange> out;
  for (const isa::GmRange& x : r) {
    if (!out.empty() && out.back().tensor == x.tensor && x.begin <= out.back().end)
      out.back().end = std::max(out.back().end, x.end);
    else
      out.push_back(x);
  }
  return out;
}

class Loader {
 public:
  Loader(const std::string& launch_name, const std::map<std::string, std::string>* files)
      : launch_(launch_name), files_(files) {}

  Imported run(std::string_view yaml, const std::vector<std::string>& extra_pto) {
    try {
      return run_yaml(yaml, extra_pto);
    } catch (const YAML::Exception& e) {  // e.g. a key that is not a string
      throw PtoError(launch_ + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
  }

 private:
  Imported run_yaml(std::string_view yaml, const std::vector<std::string>& extra_pto) {
    YAML::Node doc;
    try {
      doc = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
      throw PtoError(launch_ + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    Map top(launch_, doc, "", 1);
    // The .pto files.
    std::vector<std::pair<std::string, int>> paths;  // path, line in the launch file
    if (YAML::Node n = top.opt("pto")) {
      if (n.IsScalar()) {
        paths.push_back({dir_of(launch_) + n.Scalar(), yaml_line(n, 1)});
      } else if (n.IsSequence()) {
        for (const YAML::Node& e : n) paths.push_back({dir_of(launch_) + top.to_str(e, "pto"), yaml_line(e, 1)});
      } else {
        top.fail(yaml_line(n, 1), "pto", "expected a file name or a list of them");
      }
    }
    for (const std::string& x : extra_pto) paths.push_back({x, 0});
    if (paths.empty()) top.fail(1, "", "no .pto file: give pto: [FILE, ...] here or --pto FILE");
    for (const auto& [path, line] : paths) {
      std::string text;
      if (files_) {
        auto it = files_->find(path);
        if (it == files_->end()) throw PtoError(launch_ + ":" + std::to_string(line) + ": pto: no file " + path);
        text = it->second;
      } else {
        try {
          text = read_text(path, "the .pto file");
        } catch (const PtoError& e) {
          if (line) throw PtoError(launch_ + ":" + std::to_string(line) + ": pto: " + e.what());
          throw;
        }
      }
      modules_.push_back(std::make_unique<Module>(parse_module(text, path)));
    }
    for (const auto& m : modules_)
      for (const Module::Func& f : m->funcs) {
        auto [it, fresh] = funcs_.emplace(f.name, std::make_pair(m.get(), &f));
        if (!fresh)
          throw PtoError(m->file + ":" + std::to_string(f.line) + ": func.func @" + f.name + " is also defined in " +
                         it->second.first->file + ":" + std::to_string(it->second.second->line));
      }
    tensors(top);
    launches(top);
    top.finish(isa::UnknownKeys::NameOnly);
    return finish();
  }

  void tensors(Map& top) {
    YAML::Node ts = top.get("tensors");
    if (!ts.IsMap() || ts.size() == 0) top.fail(top.line_of_key("tensors"), "tensors", "expected a mapping of tensors");
    Map(launch_, ts, "tensors", top.line_of_key("tensors"));  // a tensor named twice is an error
    for (auto it = ts.begin(); it != ts.end(); ++it) {
      const std::string name = it->first.as<std::string>();
      Map t(launch_, it->second, "tensors." + name, yaml_line(it->first, 1));
      isa::Tensor x;
      x.name = name;
      YAML::Node shape = t.get("shape");
      if (!shape.IsSequence() || shape.size() == 0) t.fail(t.line_of_key("shape"), t.key_path("shape"), "expected a list of sizes");
      for (const YAML::Node& d : shape) {
        const int64_t v = t.to_int(d, "shape");
        if (v <= 0) t.fail(yaml_line(d, t.line()), t.key_path("shape"), "sizes must be positive");
        x.shape.push_back(v);
      }
      const std::string dt = t.to_str(t.get("dtype"), "dtype");
      if (dt == "bf16") x.dtype = isa::DType::BF16;
      else if (dt == "fp16" || dt == "f16") x.dtype = isa::DType::FP16;
      else if (dt == "fp32" || dt == "f32") x.dtype = isa::DType::FP32;
      else if (dt == "int32" || dt == "i32") x.dtype = isa::DType::INT32;
      else t.fail(t.line_of_key("dtype"), t.key_path("dtype"), "unknown dtype '" + dt + "' (bf16, fp16, fp32, int32)");
      try {
        x.elems();
      } catch (const isa::InputError& e) {
        t.fail(t.line_of_key("shape"), t.key_path("shape"), e.what());
      }
      bool kind_given = false;
      if (YAML::Node k = t.opt("kind")) {
        const std::string s = t.to_str(k, "kind");
        kind_given = true;
        if (s == "in") x.kind = isa::TensorKind::In;
        else if (s == "out") x.kind = isa::TensorKind::Out;
        else if (s == "inout") x.kind = isa::TensorKind::InOut;
        else if (s == "scratch") x.kind = isa::TensorKind::Scratch;
        else t.fail(t.line_of_key("kind"), t.key_path("kind"), "unknown kind '" + s + "' (in, out, inout, scratch)");
      }
      if (YAML::Node r = t.opt("role")) {
        const std::string s = t.to_str(r, "role");
        bool ok = false;
        for (isa::InputRole role : {isa::InputRole::Data, isa::InputRole::Weight, isa::InputRole::Gain,
                                    isa::InputRole::Cache, isa::InputRole::RopeCos, isa::InputRole::RopeSin})
          if (s == isa::to_string(role)) {
            x.role = role;
            ok = true;
          }
        if (!ok)
          t.fail(t.line_of_key("role"), t.key_path("role"), "unknown role '" + s + "' (data, weight, gain, cache, rope_cos, rope_sin)");
      }
      if (YAML::Node in = t.opt("init")) {
        if (x.dtype != isa::DType::INT32) t.fail(t.line_of_key("init"), t.key_path("init"), "init values are for int32 tensors");
        if (!in.IsSequence()) t.fail(t.line_of_key("init"), t.key_path("init"), "expected a list of integers");
        for (const YAML::Node& v : in) {
          const int64_t i = t.to_int(v, "init");
          if (i < INT32_MIN || i > INT32_MAX) t.fail(yaml_line(v, t.line()), t.key_path("init"), "does not fit int32");
          x.init.push_back(int32_t(i));
        }
        if (int64_t(x.init.size()) != x.elems())
          t.fail(t.line_of_key("init"), t.key_path("init"),
                 std::to_string(x.init.size()) + " values for " + std::to_string(x.elems()) + " elements");
      }
      t.finish(isa::UnknownKeys::NameOnly);
      kind_given_.push_back(kind_given);
      p_.tensors.push_back(std::move(x));
    }
  }

  std::optional<uint32_t> tensor(const std::string& name) const { return p_.find_tensor(name); }

  // One argument from its YAML value: a tensor name, an integer, or
  // block / blocks.
  Arg arg(Map& l, const YAML::Node& n, const Param& prm, int64_t block, int64_t blocks, const std::string& key) {
    Arg a;
    if (!n.IsScalar()) l.fail(yaml_line(n, l.line()), l.key_path(key), "expected a tensor name or an integer");
    const std::string& s = n.Scalar();
    if (prm.pointer) {
      auto t = tensor(s);
      if (!t) l.fail(yaml_line(n, l.line()), l.key_path(key), "%" + prm.name + " is a GM pointer but '" + s + "' is not one of the tensors");
      if (p_.tensors[*t].dtype != prm.dtype)
        l.fail(yaml_line(n, l.line()), l.key_path(key),
               "%" + prm.name + " is " + prm.type + " but tensor '" + s + "' is " + isa::to_string(p_.tensors[*t].dtype));
      a.tensor = true;
      a.index = *t;
      return a;
    }
    if (prm.type == "f32") {  // a number, e.g. a scale for tmuls
      if (tensor(s) || s == "block" || s == "blocks")
        l.fail(yaml_line(n, l.line()), l.key_path(key), "%" + prm.name + " is f32: give a number");
      try {
        a.real = n.as<double>();
      } catch (const YAML::Exception&) {
        l.fail(yaml_line(n, l.line()), l.key_path(key), "%" + prm.name + " is f32: expected a number, got '" + s + "'");
      }
      if (!std::isfinite(a.real) || std::fabs(a.real) > double(std::numeric_limits<float>::max()))
        l.fail(yaml_line(n, l.line()), l.key_path(key), "%" + prm.name + " is f32 but " + s + " is not a finite f32");
      a.is_float = true;
      return a;
    }
    if (s == "block") a.value = block;
    else if (s == "blocks") a.value = blocks;
    else if (tensor(s)) l.fail(yaml_line(n, l.line()), l.key_path(key), "%" + prm.name + " is " + prm.type + ", not a GM pointer: give an integer");
    else a.value = l.to_int(n, key);
    // An i32 parameter holds what 32 bits hold: a larger value would run
    // the kernel with a number it cannot receive.
    if (prm.type == "i32" && (a.value < INT32_MIN || a.value > INT32_MAX))
      l.fail(yaml_line(n, l.line()), l.key_path(key),
             "%" + prm.name + " is i32 but " + std::to_string(a.value) + " does not fit in 32 bits");
    return a;
  }

  // The size of the buffer a mixed kernel's vector half reserves for the
  // pushed tiles (its top-level pto.reserve_buffer), 0 without one.
  static uint32_t reserved_bytes(const Module::Func& v) {
    for (const Stmt& st : v.body->body)
      if (st.op == "pto.reserve_buffer") {
        auto it = st.attrs.find("size");
        const long long n = it == st.attrs.end() ? 0 : std::strtoll(it->second.c_str(), nullptr, 10);
        return n > 0 && n <= INT32_MAX ? uint32_t(n) : 0;
      }
    return 0;
  }

  static bool is_block_param(const Param& p, bool num) {
    return p.name == (num ? "__pypto_spmd_block_num" : "__pypto_spmd_block_idx");
  }

  void launches(Map& top) {
    YAML::Node ls = top.get("launches");
    if (!ls.IsSequence() || ls.size() == 0) top.fail(top.line_of_key("launches"), "launches", "expected a list of launches");
    std::map<std::string, std::vector<uint32_t>> named;  // launch name -> its tasks
    for (size_t li = 0; li < ls.size(); ++li) {
      Map l(launch_, ls[li], "launches[" + std::to_string(li) + "]", top.line());
      const std::string kname = l.to_str(l.get("kernel"), "kernel");
      auto fit = funcs_.find(kname);
      if (fit == funcs_.end()) {
        std::string known;
        for (const auto& kv : funcs_) known += (known.empty() ? "" : ", ") + kv.first;
        l.fail(l.line_of_key("kernel"), l.key_path("kernel"), "no func.func @" + kname + " in the .pto files (" + known + ")");
      }
      const Module& m = *fit->second.first;
      const Module::Func& f = *fit->second.second;
      // The blocks.
      std::vector<int64_t> blocks;
      if (YAML::Node b = l.opt("block")) {
        const int bl = l.line_of_key("block");
        if (b.IsScalar()) {
          const std::string s = b.Scalar();
          const size_t dots = s.find("..");
          if (dots == std::string::npos) {
            blocks.push_back(l.to_int(b, "block"));
          } else {
            YAML::Node lo(s.substr(0, dots)), hi(s.substr(dots + 2));
            int64_t a = 0, z = 0;
            try {
              a = std::stoll(s.substr(0, dots));
              z = std::stoll(s.substr(dots + 2));
            } catch (...) {
              l.fail(bl, l.key_path("block"), "expected FIRST..LAST (e.g. 0..31), a list or an integer, got '" + s + "'");
            }
            if (a < 0 || z < a || z - a >= 65536) l.fail(bl, l.key_path("block"), "'" + s + "': FIRST..LAST with 0 <= FIRST <= LAST, at most 65536 blocks");
            for (int64_t i = a; i <= z; ++i) blocks.push_back(i);
          }
        } else if (b.IsSequence() && b.size() > 0) {
          for (const YAML::Node& e : b) blocks.push_back(l.to_int(e, "block"));
        } else {
          l.fail(bl, l.key_path("block"), "expected FIRST..LAST, a list or an integer");
        }
        for (int64_t x : blocks)
          if (x < 0) l.fail(bl, l.key_path("block"), "block indices are not negative");
      }
      const bool grid = !blocks.empty();
      if (!grid) blocks.push_back(0);
      int64_t block_num = int64_t(blocks.size());
      if (YAML::Node bn = l.opt("block_num")) {
        block_num = l.to_int(bn, "block_num");
        if (block_num <= *std::max_element(blocks.begin(), blocks.end()))
          l.fail(l.line_of_key("block_num"), l.key_path("block_num"), "must be above every block index");
      }
      std::string lname;
      if (YAML::Node n = l.opt("name")) {
        lname = l.to_str(n, "name");
        if (named.count(lname)) l.fail(l.line_of_key("name"), l.key_path("name"), "two launches named '" + lname + "'");
      }
      std::vector<uint32_t> after;
      if (YAML::Node a = l.opt("after")) {
        if (!a.IsSequence()) l.fail(l.line_of_key("after"), l.key_path("after"), "expected a list of launch names");
        for (const YAML::Node& e : a) {
          const std::string n = l.to_str(e, "after");
          auto it = named.find(n);
          if (it == named.end()) l.fail(yaml_line(e, l.line()), l.key_path("after"), "no earlier launch named '" + n + "'");
          after.insert(after.end(), it->second.begin(), it->second.end());
        }
      }
      YAML::Node args = l.opt("args");
      const int launch_line = l.line();
      // The launch's site.
      p_.sites.push_back(f.name + ": launch (" + launch_.substr(launch_.rfind('/') + 1) + ":" +
                         std::to_string(launch_line) + ")");
      const uint32_t launch_site = uint32_t(p_.sites.size() - 1);
      std::vector<uint32_t> mine;
      for (size_t bi = 0; bi < blocks.size(); ++bi) {
        std::vector<Arg> av;
        if (!args || args.IsNull()) {
          if (!f.params.empty() && !(f.params.size() <= 2 && std::all_of(f.params.begin(), f.params.end(), [](const Param& p) { return is_block_param(p, false) || is_block_param(p, true); })))
            l.fail(launch_line, l.key_path("args"), "missing: @" + f.name + " takes " + std::to_string(f.params.size()) + " arguments");
        }
        if (args && args.IsSequence()) {
          size_t given = args.size();
          for (size_t i = 0; i < f.params.size(); ++i) {
            const Param& prm = f.params[i];
            if (i < given) {
              av.push_back(arg(l, args[i], prm, blocks[bi], block_num, "args[" + std::to_string(i) + "]"));
            } else if (is_block_param(prm, false) || is_block_param(prm, true)) {
              av.push_back(Arg{false, 0, is_block_param(prm, false) ? blocks[bi] : block_num});
            } else {
              l.fail(l.line_of_key("args"), l.key_path("args"),
                     std::to_string(given) + " arguments for @" + f.name + ", which takes " +
                         std::to_string(f.params.size()) + " (missing %" + prm.name + ")");
            }
          }
          if (given > f.params.size())
            l.fail(l.line_of_key("args"), l.key_path("args"),
                   std::to_string(given) + " arguments for @" + f.name + ", which takes " + std::to_string(f.params.size()));
        } else if (args && args.IsMap()) {
          Map am(launch_, args, l.key_path("args"), l.line());
          for (const Param& prm : f.params) {
            if (am.has(prm.name)) {
              av.push_back(arg(am, am.get(prm.name), prm, blocks[bi], block_num, prm.name));
            } else if (is_block_param(prm, false) || is_block_param(prm, true)) {
              av.push_back(Arg{false, 0, is_block_param(prm, false) ? blocks[bi] : block_num});
            } else {
              am.fail(am.line(), l.key_path("args"), "no value for %" + prm.name + " of @" + f.name);
            }
          }
          am.finish(isa::UnknownKeys::NameOnly);
        } else if (args && !args.IsNull()) {
          l.fail(l.line_of_key("args"), l.key_path("args"), "expected a list (one per parameter) or a mapping by parameter name");
        } else {
          for (const Param& prm : f.params) av.push_back(Arg{false, 0, is_block_param(prm, false) ? blocks[bi] : block_num});
        }
        const std::string where = " (launched at " + launch_ + ":" + std::to_string(launch_line) +
                                  (grid ? ", block " + std::to_string(blocks[bi]) : "") + ")";
        // Expands `fn` (a function of m) into one stream.
        auto run = [&](const Module::Func& fn, const std::vector<Arg>& fa, const Pipe& pipe) {
          Sites sites;
          sites.p = &p_;
          sites.func = fn.name;
          sites.file = m.file.substr(m.file.rfind('/') + 1);
          auto sit = sites_.find(fn.name);
          if (sit != sites_.end()) sites.index = sit->second;
          Expanded e;
          try {
            e = expand(m, fn, fa, p_, sites, blocks[bi], block_num, 4000000, 50000000, pipe);
          } catch (const PtoError& err) {
            throw PtoError(std::string(err.what()) + where);
          }
          sites_[fn.name] = sites.index;
          for (uint32_t t : e.scalar_tensors) scalar_read_.emplace(t, launch_line);
          return e;
        };
        isa::Kernel k;
        k.name = f.name;
        std::vector<std::vector<uint32_t>> lines(1);  // the cube's, then each vector core's
        if (f.cube && !f.peer.empty()) {
          // A mixed kernel: the cube half, then its vector half on two
          // vector cores, one per half of each pushed tile.
          const Module::Func* v = m.find(f.peer);
          if (!v || v->cube)
            throw PtoError(m.file + ":" + std::to_string(f.line) + ": @" + f.name + " names @" + f.peer +
                           " as its peer_func, which is not a vector func.func of the same file" + where);
          std::vector<Arg> va;
          for (const Param& prm : v->params) {
            if (prm.name == "__pypto_spmd_subblock_idx") {
              va.push_back(Arg{false, 0, 0});
              continue;
            }
            size_t i = 0;
            while (i < f.params.size() && f.params[i].name != prm.name) ++i;
            if (i == f.params.size()) {
              if (is_block_param(prm, false) || is_block_param(prm, true)) {
                va.push_back(Arg{false, 0, is_block_param(prm, false) ? blocks[bi] : block_num});
                continue;
              }
              throw PtoError(m.file + ":" + std::to_string(v->line) + ": @" + v->name + "'s parameter %" + prm.name +
                             " is not a parameter of its cube half @" + f.name + where);
            }
            if (f.params[i].type != prm.type)
              throw PtoError(m.file + ":" + std::to_string(v->line) + ": @" + v->name + "'s parameter %" + prm.name +
                             " is " + prm.type + " but @" + f.name + "'s is " + f.params[i].type + where);
            va.push_back(av[i]);
          }
          Pipe cp;
          cp.role = Pipe::Cube;
          cp.consumer_bytes = reserved_bytes(*v);
          Expanded c = run(f, av, cp);
          k.cube = std::move(c.instrs);
          lines[0] = std::move(c.lines);
          for (int64_t sb = 0; sb < 2; ++sb) {
            for (size_t i = 0; i < v->params.size(); ++i)
              if (v->params[i].name == "__pypto_spmd_subblock_idx") va[i].value = sb;
            Pipe vp;
            vp.role = Pipe::Vector;
            vp.subblock = sb;
            vp.pushed = &c.pushed;
            Expanded e = run(*v, va, vp);
            if (e.popped != c.pushed.size())
              throw PtoError(m.file + ":" + std::to_string(v->line) + ": @" + v->name + " pops " +
                             std::to_string(e.popped) + " tiles but @" + f.name + " pushes " +
                             std::to_string(c.pushed.size()) + where);
            k.vec.push_back(std::move(e.instrs));
            lines.push_back(std::move(e.lines));
          }
        } else {
          Expanded e = run(f, av, Pipe{});
          if (f.cube) {
            k.cube = std::move(e.instrs);
            lines[0] = std::move(e.lines);
          } else {
            k.vec.push_back(std::move(e.instrs));
            lines.push_back(std::move(e.lines));
          }
        }
        // The same instructions as an earlier kernel: share it.
        uint32_t ki = uint32_t(p_.kernels.size());
        for (uint32_t j = 0; j < p_.kernels.size(); ++j)
          if (p_.kernels[j] == k) ki = j;
        if (ki == p_.kernels.size()) {
          p_.kernels.push_back(std::move(k));
          kernel_file_.push_back(&m);
          kernel_lines_.push_back(std::move(lines));
          kernel_func_line_.push_back(f.line);
        }
        isa::Task t;
        t.kernel = ki;
        t.site = launch_site;
        if (grid) {
          t.block = uint32_t(bi);
          t.blocks = uint32_t(blocks.size());
        }
        t.deps = after;
        mine.push_back(uint32_t(p_.tasks.size()));
        p_.tasks.push_back(std::move(t));
        task_lines_.push_back(uint32_t(launch_line));
      }
      // A grid's block index as the task sees it (sblock) is its position
      // in the grid; the kernel has the index itself baked in.
      if (!lname.empty()) named[lname] = mine;
      l.finish(isa::UnknownKeys::NameOnly);
    }
  }

  Imported finish() {
    // GM ranges from what each task's instructions touch.
    const std::vector<bool> known(p_.tensors.size(), false);
    std::vector<bool> read(p_.tensors.size()), written(p_.tensors.size());
    for (isa::Task& t : p_.tasks) {
      const isa::Kernel& k = p_.kernels[t.kernel];
      std::vector<isa::GmRange> r, w;
      auto scan = [&](const std::vector<isa::Instr>& stream) {
        for (const isa::InstrAccess& a : isa::stream_gm_accesses(p_, stream, known, t.block)) {
          (a.access.write ? w : r).push_back(a.access.hull(p_));
          (a.access.write ? written : read)[a.access.tensor] = true;
        }
      };
      scan(k.cube);
      for (const auto& v : k.vec) scan(v);
      t.reads = merged(std::move(r));
      t.writes = merged(std::move(w));
    }
    for (const auto& [t, line] : scalar_read_)
      if (written[t])
        throw PtoError(launch_ + ":" + std::to_string(line) + ": tensor '" + p_.tensors[t].name +
                       "' is read by pto.load_scalar, whose value the importer takes from its init values, but a "
                       "launch writes it");
    for (size_t i = 0; i < p_.tensors.size(); ++i) {
      if (kind_given_[i]) continue;
      p_.tensors[i].kind = written[i] ? (read[i] ? isa::TensorKind::InOut : isa::TensorKind::Out)
                                      : (read[i] ? isa::TensorKind::In : isa::TensorKind::Scratch);
    }
    // Validate each file's kernels with that file's lines in the messages.
    std::vector<const Module*> files;
    for (const Module* m : kernel_file_)
      if (std::find(files.begin(), files.end(), m) == files.end()) files.push_back(m);
    for (const Module* m : files) {
      isa::Program q = p_;
      isa::SourceMap src;
      src.file = m->file;
      src.instrs.resize(q.kernels.size());
      src.tasks.assign(q.tasks.size(), 0);
      for (size_t k = 0; k < q.kernels.size(); ++k) {
        if (kernel_file_[k] != m) {
          q.kernels[k].cube.clear();
          for (auto& v : q.kernels[k].vec) v.clear();
          continue;
        }
        src.instrs[k] = kernel_lines_[k];
      }
      isa::validate_program(q, &src);
    }
    isa::validate_program(p_);
    isa::derive_task_deps(p_);
    Imported out;
    out.program = std::move(p_);
    if (files.size() == 1) {
      out.source.file = files[0]->file;
      out.source.instrs.resize(out.program.kernels.size());
      for (size_t k = 0; k < out.program.kernels.size(); ++k) {
        out.source.instrs[k] = kernel_lines_[k];
      }
      for (const isa::Task& t : out.program.tasks) out.source.tasks.push_back(kernel_func_line_[t.kernel]);
    } else {
      out.source.file = launch_;
      out.source.tasks = task_lines_;
    }
    return out;
  }

  std::string launch_;
  const std::map<std::string, std::string>* files_;
  std::vector<std::unique_ptr<Module>> modules_;
  std::map<std::string, std::pair<const Module*, const Module::Func*>> funcs_;
  isa::Program p_;
  std::vector<bool> kind_given_;
  std::vector<const Module*> kernel_file_;
  std::vector<std::vector<std::vector<uint32_t>>> kernel_lines_;  // per kernel: the cube's lines, then each vector core's
  std::vector<uint32_t> kernel_func_line_;
  std::vector<uint32_t> task_lines_;
  std::map<uint32_t, int> scalar_read_;  // tensor read by pto.load_scalar -> the first launch's line
  std::unordered_map<std::string, std::unordered_map<std::string, uint32_t>> sites_;
};

}  // namespace

Imported load_launch(const std::string& launch_path, const std::vector<std::string>& extra_pto) {
  const std::string text = read_text(launch_path, "the launch file");
  return Loader(launch_path, nullptr).run(text, extra_pto);
}

Imported load_launch_text(std::string_view yaml, const std::string& launch_name,
                          const std::map<std::string, std::string>& files, const std::vector<std::string>& extra_pto) {
  return Loader(launch_name, &files).run(yaml, extra_pto);
}

}  // namespace pto
