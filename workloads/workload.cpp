#include "workloads/workload.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <set>
#include <utility>
#include <vector>

#include "isa/yaml_map.h"
#include "workloads/builder.h"
#include "workloads/micro.h"
#include "workloads/qwen3_check.h"
#include "workloads/qwen3_decode.h"

namespace workloads {

namespace {

using isa::yaml_line;

// A mapping of a workload file (isa/yaml_map.h), with the typed readers that
// the generators' parameters need.
class Map : public isa::YamlMap<WorkloadError> {
 public:
  using YamlMap::YamlMap;

  int64_t req_int(const std::string& key) { return to_int(get(key), key); }
  int64_t opt_int(const std::string& key, int64_t def) {
    const YAML::Node n = opt(key);
    return n ? to_int(n, key) : def;
  }
  int64_t req_pos(const std::string& key) {
    int64_t v = req_int(key);
    if (v <= 0) fail(line_of_key(key), key_path(key), "must be positive, got " + std::to_string(v));
    return v;
  }
  int64_t opt_pos(const std::string& key, int64_t def) {
    int64_t v = opt_int(key, def);
    if (v <= 0) fail(line_of_key(key), key_path(key), "must be positive, got " + std::to_string(v));
    return v;
  }
  std::string req_str(const std::string& key) { return to_str(get(key), key); }
  // A string naming one of `choices`; anything else fails with the list of names.
  template <class E>
  E req_choice(const std::string& key, std::initializer_list<std::pair<const char*, E>> choices) {
    std::string v = req_str(key);
    std::string names;
    for (const auto& [name, value] : choices) {
      if (v == name) return value;
      names += (names.empty() ? "" : ", ") + std::string(name);
    }
    fail(line_of_key(key), key_path(key), "unknown " + key + " '" + v + "' (" + names + ")");
  }
  bool opt_bool(const std::string& key, bool def) { return opt_as(key, def, "true or false"); }
  double opt_double(const std::string& key, double def) { return opt_as(key, def, "a number"); }
  Map sub(const std::string& key) { return Map(file(), get(key), key_path(key), line()); }

 private:
  // An optional key read as T; `expected` says what T looks like in the error.
  template <class T>
  T opt_as(const std::string& key, T def, const char* expected) {
    const YAML::Node n = opt(key);
    if (!n) return def;
    try {
      return n.as<T>();
    } catch (const YAML::Exception&) {
      fail(yaml_line(n, line()), key_path(key),
           std::string("expected ") + expected + ", got '" + (n.IsScalar() ? n.Scalar() : "<not a scalar>") + "'");
    }
  }
};

// Line of a key path such as "tiling.kv_out_chunk" or "seq_lens.list[3]".
int line_of_path(const YAML::Node& root, const std::string& path) {
  YAML::Node cur = root;
  int line = yaml_line(root, 1);
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t dot = path.find('.', pos);
    std::string seg = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    long index = -1;
    size_t br = seg.find('[');
    if (br != std::string::npos) {
      index = std::strtol(seg.c_str() + br + 1, nullptr, 10);
      seg = seg.substr(0, br);
    }
    if (!cur.IsMap() || !cur[seg]) break;
    YAML::Node next = cur[seg];
    line = yaml_line(next, line);
    if (index >= 0) {
      if (!next.IsSequence() || size_t(index) >= next.size()) break;
      next = next[size_t(index)];
      line = yaml_line(next, line);
    }
    cur = next;
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return line;
}

// ---------------------------------------------------------------------------

void need_multiple(Map& m, const std::string& key, const std::string& what, int64_t whole, int64_t part) {
  if (whole % part != 0)
    m.fail(m.line_of_key(key), m.key_path(key),
           what + "=" + std::to_string(whole) + " is not a multiple of " + std::to_string(part));
}

isa::Program gemm(Map& root, const Target& target) {
  GemmParams p;
  Map s = root.sub("shapes");
  p.M = s.req_pos("M");
  p.N = s.req_pos("N");
  p.K = s.req_pos("K");
  s.finish();
  Map t = root.sub("tiling");
  p.tile_m = t.req_pos("tile_m");
  p.tile_n = t.req_pos("tile_n");
  p.tile_k = t.req_pos("tile_k");
  p.tiles_per_task = t.opt_pos("tiles_per_task", 1);
  need_multiple(t, "tile_m", "M", p.M, p.tile_m);
  need_multiple(t, "tile_n", "N", p.N, p.tile_n);
  need_multiple(t, "tile_k", "K", p.K, p.tile_k);
  t.finish();
  root.finish();
  return build_gemm(p, target);
}

isa::Program vector_chain(Map& root, const Target& target) {
  VectorChainParams p;
  Map s = root.sub("shapes");
  p.rows = s.req_pos("rows");
  p.cols = s.req_pos("cols");
  s.finish();
  Map t = root.sub("tiling");
  p.tile_rows = t.req_pos("tile_rows");
  p.tile_cols = t.req_pos("tile_cols");
  p.tiles_per_task = t.opt_pos("tiles_per_task", 1);
  need_multiple(t, "tile_rows", "rows", p.rows, p.tile_rows);
  need_multiple(t, "tile_cols", "cols", p.cols, p.tile_cols);
  t.finish();
  YAML::Node ops = root.get("ops");
  if (!ops.IsSequence() || ops.size() == 0)
    root.fail(root.line_of_key("ops"), "ops", "expected a non-empty list of op names");
  p.ops.clear();
  const auto& names = vector_chain_op_names();
  for (size_t i = 0; i < ops.size(); ++i) {
    std::string op = ops[i].IsScalar() ? ops[i].Scalar() : "";
    if (std::find(names.begin(), names.end(), op) == names.end()) {
      std::string all;
      for (const auto& n : names) all += (all.empty() ? "" : " ") + n;
      root.fail(yaml_line(ops[i], root.line()), "ops[" + std::to_string(i) + "]",
                "unknown op '" + op + "' (one of: " + all + ")");
    }
    p.ops.push_back(op);
  }
  p.scalar = float(root.opt_double("scalar", 0.5));
  root.finish();
  return build_vector_chain(p, target);
}

isa::Program dma_sweep(Map& root, const Target& target) {
  DmaSweepParams p;
  p.count = root.req_pos("count");
  p.bytes = root.req_pos("bytes");
  p.rows = root.opt_pos("rows", 1);
  p.tasks = root.opt_pos("tasks", 1);
  p.direction = root.req_choice<DmaDirection>("direction", {{"gm_to_ub", DmaDirection::GmToUb},
                                                            {"gm_to_l1", DmaDirection::GmToL1},
                                                            {"ub_to_gm", DmaDirection::UbToGm}});
  if (p.bytes % (2 * p.rows) != 0)
    root.fail(root.line_of_key("bytes"), "bytes",
              "bytes=" + std::to_string(p.bytes) + " is not a multiple of 2*rows=" +
                  std::to_string(2 * p.rows) + " (bf16 rows of equal size)");
  if (p.bytes / 2 / p.rows > 65535 || p.rows > 65535)
    root.fail(root.line_of_key("bytes"), "bytes", "a row of more than 65535 elements; raise rows");
  if (p.tasks > p.count)
    root.fail(root.line_of_key("tasks"), "tasks",
              "tasks=" + std::to_string(p.tasks) + " exceeds count=" + std::to_string(p.count));
  root.finish();
  return build_dma_sweep(p, target);
}

isa::Program many_kernels(Map& root, const Target& target) {
  ManyKernelsParams p;
  p.kernels = root.req_pos("kernels");
  Map t = root.sub("tile");
  p.rows = t.req_pos("rows");
  p.cols = t.req_pos("cols");
  t.finish();
  p.chain = root.opt_bool("chain", false);
  root.finish();
  return build_many_kernels(p, target);
}

// `build` false: the parameters are read and checked, the check made, the
// program left empty (--check-with needs only the reference).
Workload qwen3(Map& root, const YAML::Node& doc, const Target& target, bool build = true) {
  Qwen3Params p;
  p.variant = root.req_choice<Qwen3Variant>("variant", {{"baseline", Qwen3Variant::Baseline},
                                                        {"fused_qkrope", Qwen3Variant::FusedQkRope},
                                                        {"reviewed", Qwen3Variant::Reviewed},
                                                        {"upstream_0427", Qwen3Variant::Upstream0427},
                                                        {"upstream", Qwen3Variant::Upstream}});

  Map s = root.sub("shapes");
  Qwen3Shapes& S = p.shapes;
  S.B = s.req_pos("B");
  S.S_max = s.req_pos("S_max");
  S.NH = s.req_pos("NH");
  S.NKV = s.req_pos("NKV");
  S.D = s.req_pos("D");
  S.H = s.req_pos("H");
  S.I = s.req_pos("I");
  S.vocab = s.opt_pos("vocab", S.vocab);
  s.finish();
  p.layers = root.opt_pos("layers", 1);
  if (p.layers > 256) root.fail(root.line_of_key("layers"), "layers", std::to_string(p.layers) + " is outside 1..256");
  p.lm_head = root.opt_bool("lm_head", false);
  p.decode_steps = root.opt_pos("decode_steps", 1);
  if (root.has("continuous_batching")) {
    Map cb = root.sub("continuous_batching");
    p.finish_at = cb.req_pos("finish_at");
    p.new_context = cb.req_pos("new_context");
    cb.finish();
  }

  Map t = root.sub("tiling");
  Qwen3Tiling& T = p.tiling;
  T.scope1_k_chunk = t.req_pos("scope1_k_chunk");
  T.q_out_chunk = t.req_pos("q_out_chunk");
  T.kv_out_chunk = t.req_pos("kv_out_chunk");
  T.batch_tile = t.req_pos("batch_tile");
  T.q_head_batch = t.req_pos("q_head_batch");
  T.q_head_pad = t.req_pos("q_head_pad");
  T.seq_tile = t.req_pos("seq_tile");
  T.sb_batch = t.req_pos("sb_batch");
  T.k_chunk = t.req_pos("k_chunk");
  T.mlp_out_chunk = t.req_pos("mlp_out_chunk");
  const Qwen3Tiling mine = qwen3_default_tiling(p.variant);
  T.k_loop_stages = t.opt_pos("k_loop_stages", mine.k_loop_stages);
  T.norm_stages = t.opt_pos("norm_stages", mine.norm_stages);
  // The keys of some variants only (a key of another variant is an error).
  using V = Qwen3Variant;
  const std::vector<std::pair<const char*, std::vector<V>>> only = {
      {"norm_chunk", {V::Reviewed, V::Upstream}},       {"attn_group_chunk", {V::Reviewed, V::Upstream}},
      {"mlp_task_blocks", {V::Reviewed, V::Upstream}},  {"out_proj_k_chunk", {V::Upstream0427}},
      {"fuse_kv_loops", {V::Upstream0427}},             {"q_proj_chunk", {V::Upstream0427}},
      {"kv_proj_chunk", {V::Upstream0427}},             {"out_proj_chunk", {V::Upstream0427, V::Upstream}},
      {"down_proj_chunk", {V::Upstream0427, V::Upstream}}};
  for (const auto& [key, variants] : only) {
    if (!t.has(key) || std::find(variants.begin(), variants.end(), p.variant) != variants.end()) continue;
    std::string names;
    for (V v : variants) names += std::string(names.empty() ? "" : ", ") + to_string(v);
    t.fail(t.line_of_key(key), t.key_path(key), "only used by variant" + std::string(variants.size() > 1 ? "s " : " ") + names);
  }
  T.norm_chunk = t.opt_pos("norm_chunk", mine.norm_chunk);
  T.attn_group_chunk = t.opt_pos("attn_group_chunk", mine.attn_group_chunk);
  T.mlp_task_blocks = t.opt_pos("mlp_task_blocks", mine.mlp_task_blocks);
  T.out_proj_k_chunk = t.opt_pos("out_proj_k_chunk", mine.out_proj_k_chunk);
  T.fuse_kv_loops = t.opt_bool("fuse_kv_loops", mine.fuse_kv_loops);
  T.q_proj_chunk = t.opt_pos("q_proj_chunk", mine.q_proj_chunk);
  T.kv_proj_chunk = t.opt_pos("kv_proj_chunk", mine.kv_proj_chunk);
  T.out_proj_chunk = t.opt_pos("out_proj_chunk", mine.out_proj_chunk);
  T.down_proj_chunk = t.opt_pos("down_proj_chunk", mine.down_proj_chunk);
  T.lm_head_chunk = t.opt_pos("lm_head_chunk", mine.lm_head_chunk);
  t.finish();

  Map q = root.sub("seq_lens");
  int forms = int(q.has("all")) + int(q.has("list")) + int(q.has("uniform"));
  if (forms != 1)
    q.fail(q.line(), "seq_lens", "give exactly one of all, list, uniform");
  auto check_len = [&](int64_t value, int line, const std::string& path) {
    if (value < 1 || value > S.S_max)
      q.fail(line, path, std::to_string(value) + " is outside 1..S_max=" + std::to_string(S.S_max));
  };
  if (q.has("all")) {
    int64_t all = q.req_int("all");
    check_len(all, q.line_of_key("all"), "seq_lens.all");
    p.seq_lens.assign(size_t(S.B), int32_t(all));
  } else if (q.has("list")) {
    YAML::Node list = q.get("list");
    if (!list.IsSequence())
      q.fail(q.line_of_key("list"), "seq_lens.list", "expected a list of B integers");
    if (int64_t(list.size()) != S.B)
      q.fail(q.line_of_key("list"), "seq_lens.list",
             "has " + std::to_string(list.size()) + " values, B=" + std::to_string(S.B));
    for (size_t i = 0; i < list.size(); ++i) {
      std::string path = "seq_lens.list[" + std::to_string(i) + "]";
      int64_t x;
      try {
        x = list[i].as<int64_t>();
      } catch (const YAML::Exception&) {
        q.fail(yaml_line(list[i], q.line()), path, "expected an integer");
      }
      check_len(x, yaml_line(list[i], q.line()), path);
      p.seq_lens.push_back(int32_t(x));
    }
  } else {
    Map u = q.sub("uniform");
    int64_t mn = u.req_int("min"), mx = u.req_int("max"), seed = u.req_int("seed");
    check_len(mn, u.line_of_key("min"), "seq_lens.uniform.min");
    check_len(mx, u.line_of_key("max"), "seq_lens.uniform.max");
    if (mn > mx) u.fail(u.line_of_key("min"), "seq_lens.uniform.min", "min > max");
    if (seed < 0 || seed > int64_t(UINT32_MAX))
      u.fail(u.line_of_key("seed"), "seq_lens.uniform.seed", "must be in 0..4294967295");
    u.finish();
    p.seq_lens = uniform_seq_lens(S.B, mn, mx, uint32_t(seed));
  }
  q.finish();
  root.finish();

  std::string err = qwen3_check(p);
  if (!err.empty()) {
    size_t colon = err.find(": ");
    std::string path = colon == std::string::npos ? "" : err.substr(0, colon);
    throw WorkloadError(root.file() + ":" + std::to_string(line_of_path(doc, path)) + ": " + err);
  }
  Workload w;
  if (build) w.program = build_qwen3_decode(p, target, &w.sections);
  w.check = qwen3_check_for(p);
  const auto mean = [](const std::vector<int32_t>& v) {
    double s = 0;
    for (int32_t x : v) s += x;
    return v.empty() ? 0.0 : s / double(v.size());
  };
  w.context_mean = mean(p.seq_lens);
  w.steps = uint32_t(p.decode_steps);
  w.tokens_per_step = uint32_t(S.B);
  if (w.steps > 1)
    w.next_step = [p, target, mean](uint32_t step) {
      Qwen3Params q = p;
      q.seq_lens = qwen3_seq_lens_at(p, step);
      isa::DecodeStep d;
      d.program = build_qwen3_decode(q, target, &d.sections);
      d.context_mean = mean(q.seq_lens);
      return d;
    };
  return w;
}

Workload only(isa::Program p) {
  Workload w;
  w.program = std::move(p);
  return w;
}

}  // namespace

Workload load_workload(const YAML::Node& doc, const std::string& filename, const Target& target) {
  Map root(filename, doc, "", 1);
  std::string kind = root.req_str("workload");
  root.allow("description");
  try {
    if (kind == "gemm") return only(gemm(root, target));
    if (kind == "vector_chain") return only(vector_chain(root, target));
    if (kind == "dma_sweep") return only(dma_sweep(root, target));
    if (kind == "many_kernels") return only(many_kernels(root, target));
    // Any dense Qwen3 decoder: its shapes are the file's (qwen3_32b_decode, the
    // first one shipped, stays a name for it).
    if (kind == "qwen3_decode" || kind == "qwen3_32b_decode") return qwen3(root, doc, target);
  } catch (const BuildError& e) {
    throw WorkloadError(filename + ":" + std::to_string(root.line_of_key("workload")) +
                        ": workload: generating '" + kind + "': " + e.what());
  }
  root.fail(root.line_of_key("workload"), "workload",
            "unknown workload '" + kind +
                "' (gemm, vector_chain, dma_sweep, many_kernels, qwen3_decode)");
}

YAML::Node read_workload_yaml(const std::string& path) {
  // As sim::check_input_file (tools/cli reads through it; workloads/ does not
  // link sim/): a directory read as a stream throws std::ios_base::failure, a
  // device reads forever.
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (std::filesystem::is_directory(st)) throw WorkloadError(path + " is a directory (expected a workload file)");
  if (std::filesystem::is_character_file(st) || std::filesystem::is_block_file(st) ||
      std::filesystem::is_socket(st))
    throw WorkloadError(path + " is a device, not a workload file");
  // Missing or unreadable: the reason, and no line to point at.
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    std::fclose(f);
  } else {
    const int err = errno;
    throw WorkloadError("cannot read workload file " + path + ": " + std::strerror(err));
  }
  YAML::Node doc;
  try {
    doc = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw WorkloadError("cannot read workload file " + path);
  } catch (const YAML::ParserException& e) {
    throw WorkloadError(path + (e.mark.is_null() ? "" : ":" + std::to_string(e.mark.line + 1)) + ": YAML syntax: " +
                        e.msg);
  }
  return doc;
}

Workload load_workload_file(const std::string& path, const Target& target) {
  return load_workload(read_workload_yaml(path), path, target);
}

std::unique_ptr<ReferenceCheck> load_workload_check(const std::string& path) {
  const YAML::Node doc = read_workload_yaml(path);
  Map root(path, doc, "", 1);
  const std::string kind = root.req_str("workload");
  root.allow("description");
  if (kind == "qwen3_decode" || kind == "qwen3_32b_decode") return qwen3(root, doc, {}, /*build=*/false).check;
  return nullptr;
}

isa::Program build_workload(const YAML::Node& doc, const std::string& filename, const Target& target) {
  return load_workload(doc, filename, target).program;
}

isa::Program build_workload_file(const std::string& path, const Target& target) {
  return load_workload_file(path, target).program;
}

}  // namespace workloads
