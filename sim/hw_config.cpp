// Hardware config loader: YAML text -> validated HwConfig.
//
// The whole schema is one declarative table (hw_schema below): each map lists
// its keys, each value key a reader that converts and range-checks it into a
// HwConfig field, and optionally a default. A description is a stack of
// layers (HwSource): --set edits, the file, its base, the base's base...;
// resolve_map() takes each key from the first layer that has it (maps merge
// key by key), else its default, and enforces per layer and map that there
// are no unknown or duplicate keys. Every error is a ConfigError
// "FILE:LINE: key.path: message" with LINE 1-based, FILE:LINE being where the
// offending value or key was written.
#include "sim/hw_config.h"

#include "sim/file_io.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <utility>
#include <vector>

namespace sim {

uint32_t HwConfig::Buffers::capacity(isa::Space s) const {
  switch (s) {
    case isa::Space::L1:
      return l1;
    case isa::Space::L0A:
      return l0a;
    case isa::Space::L0B:
      return l0b;
    case isa::Space::L0C:
      return l0c;
    case isa::Space::UB:
      return ub;
    case isa::Space::GM:
      break;
  }
  throw std::logic_error(std::string("HwConfig::Buffers::capacity: ") + isa::to_string(s) +
                              " is not a local buffer");
}

namespace {

// One layer of a description: a file's document, or one --set edit.
struct Layer {
  YAML::Node root;
  std::string file;  // the file; for an edit, the file given (named in its messages)
  std::string edit;  // "" for a file; the edit's origin ("--set hw.gm.bandwidth_gbps=800")
};

// One YAML value being read: the node, where it is, and how to complain.
struct Value {
  YAML::Node node;
  const Layer* layer;  // null for a default
  std::string path;    // "dma.gm_to_l1.setup_cycles"; empty for the document root
  int line;            // 0-based, -1 if unknown

  [[noreturn]] void fail(const std::string& msg) const {
    std::string s;
    if (!layer) {
      s = "hardware schema default";
    } else {
      s = layer->file;
      if (line >= 0 && layer->edit.empty()) s += ":" + std::to_string(line + 1);
    }
    s += ": ";
    if (!path.empty()) s += path + ": ";
    s += msg;
    if (layer && !layer->edit.empty()) s += " (from " + layer->edit + ")";
    throw ConfigError(s);
  }

  // Where the value came from, for HwSetting::origin.
  std::string origin() const {
    if (!layer) return "default";
    if (!layer->edit.empty()) return layer->edit;
    return layer->file + ":" + std::to_string(line + 1);
  }
};

using Reader = std::function<void(const Value&)>;
struct Field;
using Fields = std::vector<Field>;
struct Field {
  std::string key;
  Reader read;    // a value: converts and checks it into its HwConfig field; null for a map
  Fields fields;  // a map's keys
  // A value's default as YAML text, or "=PATH": the resolved value of the key
  // PATH (which comes earlier in the schema). Empty: required.
  std::string def = {};
};

Field leaf(std::string key, Reader read, std::string def = {}) {
  return Field{std::move(key), std::move(read), {}, std::move(def)};
}
Field group(std::string key, Fields fields) { return Field{std::move(key), nullptr, std::move(fields), {}}; }

// A map may be left out entirely when every key below it has a default.
bool all_defaulted(const Fields& fields) {
  for (const Field& f : fields)
    if (f.read ? f.def.empty() : !all_defaulted(f.fields)) return false;
  return true;
}

// What a non-scalar (or quoted) value looks like, for "expected X, got Y".
std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return "'" + n.Scalar() + (n.Tag() == "!" ? "' (quoted)" : "'");
    default:
      return "an empty value";
  }
}

// A plain (unquoted) scalar's text; null for anything else.
const std::string* plain_scalar(const YAML::Node& n) {
  if (!n.IsScalar() || n.Tag() == "!") return nullptr;  // "!" = quoted in yaml-cpp
  return &n.Scalar();
}

// A validated value as YAML text, for HwSetting::value.
std::string yaml_text(const YAML::Node& n) {
  if (plain_scalar(n)) return n.Scalar();
  YAML::Emitter e;
  e << YAML::DoubleQuoted << n.Scalar();
  return e.c_str();
}

const std::regex& number_re() {
  static const std::regex re(R"([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)");
  return re;
}
const std::regex& integer_re() {
  static const std::regex re(R"([+-]?\d+)");
  return re;
}

// The top-level key naming a file's base; not part of the schema (it is
// consumed while loading, and cannot be edited).
constexpr const char* kBaseKey = "base";

struct Resolver {
  std::vector<HwSetting>* settings;
  std::map<std::string, Value> resolved;  // path -> the value taken, for "=PATH" defaults
};

// One key's occurrences: per layer that has it, in precedence order.
struct Hit {
  YAML::Node key, value;
  const Layer* layer;
};

// Resolve the map at `path` from its occurrences `srcs` (precedence order).
void resolve_map(const std::vector<Value>& srcs, const Fields& fields, const std::string& path, Resolver& r) {
  std::vector<std::vector<Hit>> hits(fields.size());
  for (const Value& src : srcs) {
    if (!src.node.IsMap()) src.fail("expected a map, got " + describe(src.node));
    const bool file_root = path.empty() && src.layer->edit.empty();
    std::vector<bool> seen(fields.size());
    bool seen_base = false;
    for (auto it = src.node.begin(); it != src.node.end(); ++it) {
      YAML::Node k = it->first;  // by value: `it->` yields a temporary proxy
      Value at{k, src.layer, path, k.Mark().line};
      if (!k.IsScalar()) at.fail("expected a key name, got " + describe(k));
      if (file_root && k.Scalar() == kBaseKey) {  // read by the loader
        if (seen_base) at.fail("duplicate key '" + k.Scalar() + "'");
        seen_base = true;
        continue;
      }
      size_t i = 0;
      while (i < fields.size() && k.Scalar() != fields[i].key) ++i;
      if (i == fields.size()) {
        std::string keys;
        for (const Field& f : fields) keys += (keys.empty() ? "" : ", ") + f.key;
        if (file_root) keys += std::string(", ") + kBaseKey;
        at.fail("unknown key '" + k.Scalar() + "' (expected one of: " + keys + ")");
      }
      if (seen[i]) at.fail("duplicate key '" + k.Scalar() + "'");
      seen[i] = true;
      hits[i].push_back({k, it->second, src.layer});
    }
  }
  // A missing key is reported at the first line of its map in the most
  // derived file that has the map (where it would be added).
  auto missing = [&](const Field& f) {
    const Value* at = &srcs.front();
    for (const Value& src : srcs)
      if (src.layer->edit.empty()) {
        at = &src;
        break;
      }
    at->fail("missing key '" + f.key + "'");
  };
  for (size_t i = 0; i < fields.size(); ++i) {
    const Field& f = fields[i];
    const std::string p = path.empty() ? f.key : path + "." + f.key;
    std::vector<Value> vals;
    for (const Hit& h : hits[i]) {
      // An empty value has no position of its own in yaml-cpp: use its key's.
      const int line = h.value.IsNull() ? h.key.Mark().line : h.value.Mark().line;
      vals.push_back(Value{h.value, h.layer, p, line});
    }
    if (!f.read) {
      if (vals.empty() && !all_defaulted(f.fields)) missing(f);
      resolve_map(vals, f.fields, p, r);
      continue;
    }
    std::string origin;
    if (vals.empty()) {
      if (f.def.empty()) missing(f);
      if (f.def[0] == '=') {
        const auto from = r.resolved.find(f.def.substr(1));
        if (from == r.resolved.end()) throw std::logic_error("hw_schema: default " + f.def + " of " + p + " comes later");
        vals.push_back(Value{from->second.node, nullptr, p, -1});
        origin = "default (" + f.def.substr(0, 1) + " " + f.def.substr(1) + ")";
      } else {
        vals.push_back(Value{YAML::Load(f.def), nullptr, p, -1});
      }
    }
    const Value& v = vals.front();
    f.read(v);
    r.resolved.insert_or_assign(p, v);
    if (r.settings) r.settings->push_back({p, yaml_text(v.node), origin.empty() ? v.origin() : origin});
  }
}

// --- readers, one per kind of field ---------------------------------------

// A non-negative integer in [lo, hi]; hi == max means "no upper bound".
Reader integer(uint32_t& dst, uint32_t lo = 0, uint32_t hi = std::numeric_limits<uint32_t>::max()) {
  return [&dst, lo, hi](const Value& v) {
    const std::string* s = plain_scalar(v.node);
    if (!s || !std::regex_match(*s, number_re())) v.fail("expected a number, got " + describe(v.node));
    if (!std::regex_match(*s, integer_re())) v.fail("expected an integer, got '" + *s + "'");
    errno = 0;
    long long x = std::strtoll(s->c_str(), nullptr, 10);
    bool range_error = errno == ERANGE;
    bool too_small = (range_error && x < 0) || x < static_cast<long long>(lo);
    bool too_big = (range_error && x > 0) || x > static_cast<long long>(hi);
    if (!too_small && !too_big) {
      dst = static_cast<uint32_t>(x);
      return;
    }
    if (hi != std::numeric_limits<uint32_t>::max()) {
      v.fail("must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + *s);
    }
    if (too_small)
      v.fail("must be " + (lo == 1 ? std::string("> 0") : ">= " + std::to_string(lo)) + ", got " + *s);
    v.fail("must be <= " + std::to_string(hi) + ", got " + *s);
  };
}

// A capacity in KiB, stored in bytes.
Reader kib(uint32_t& dst) {
  constexpr uint32_t kMaxKib = std::numeric_limits<uint32_t>::max() / 1024;
  return [&dst](const Value& v) {
    uint32_t k = 0;
    integer(k, 1)(v);
    if (k > kMaxKib) v.fail("must be <= " + std::to_string(kMaxKib) + " (4 GiB), got " + v.node.Scalar());
    dst = k * 1024;
  };
}

std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

// A number in [lo, hi].
Reader real(double& dst, double lo, double hi) {
  return [&dst, lo, hi](const Value& v) {
    const std::string* s = plain_scalar(v.node);
    if (!s || !std::regex_match(*s, number_re())) v.fail("expected a number, got " + describe(v.node));
    double x = std::strtod(s->c_str(), nullptr);
    if (!std::isfinite(x)) v.fail("must be a finite number, got " + *s);
    if (!(x >= lo && x <= hi)) v.fail("must be in " + num(lo) + ".." + num(hi) + ", got " + *s);
    dst = x;
  };
}

// What the model represents (issue 10): a fixed cost of at most 1e9 cycles
// (0.5 s at 2 GHz) and rates in 1e-3..1e9 per cycle, bounds far outside any
// real figure that keep cycle arithmetic inside 64 bits; durations are then
// checked against the time base (kMaxCycles, cost_model.h) where computed.
constexpr uint32_t kMaxFixedCycles = 1'000'000'000;
Reader cycles(uint32_t& dst) { return integer(dst, 0, kMaxFixedCycles); }
Reader rate(double& dst) { return real(dst, 1e-3, 1e9); }
// Cycles per vector repeat: 0 (free) up to 1e6.
Reader per_repeat(double& dst) { return real(dst, 0, 1e6); }

// One of two words: `yes` stores true, `no` false.
Reader either(bool& dst, const char* yes, const char* no) {
  return [&dst, yes, no](const Value& v) {
    const std::string* s = plain_scalar(v.node);
    if (s && *s == yes)
      dst = true;
    else if (s && *s == no)
      dst = false;
    else
      v.fail(std::string("expected ") + yes + " or " + no + ", got " + describe(v.node));
  };
}

Reader boolean(bool& dst) { return either(dst, "true", "false"); }

// A capacity in KiB, stored in bytes; 0 allowed (none).
Reader kib_or_zero(uint32_t& dst) {
  constexpr uint32_t kMaxKib = std::numeric_limits<uint32_t>::max() / 1024;
  return [&dst](const Value& v) {
    uint32_t k = 0;
    integer(k, 0, kMaxKib)(v);
    dst = k * 1024;
  };
}


Reader text(std::string& dst) {
  return [&dst](const Value& v) {
    if (!v.node.IsScalar()) v.fail("expected a string, got " + describe(v.node));
    if (v.node.Scalar().empty()) v.fail("must not be empty");
    dst = v.node.Scalar();
  };
}

// An engine's two keys; `like` ("dma.l0c_to_gm"): default to that engine's values.
Fields engine(EngineConfig& e, const std::string& like = {}) {
  return {
      leaf("setup_cycles", cycles(e.setup_cycles), like.empty() ? "" : "=" + like + ".setup_cycles"),
      leaf("bytes_per_cycle", rate(e.bytes_per_cycle), like.empty() ? "" : "=" + like + ".bytes_per_cycle"),
  };
}

// --- the schema -------------------------------------------------------------
//
// A default is for a key with a neutral value, one that does not make a
// machine faster or slower than the figure it stands for: a cost left out
// must be an error, not a free operation. docs/hw_config.md lists them.

Fields hw_schema(HwConfig& c) {
  auto& b = c.buffers;
  auto& cu = c.cube;
  auto& ve = c.vector;
  auto& d = c.dma;
  return {
      leaf("name", text(c.name)),
      leaf("clock_ghz", real(c.clock_ghz, 1e-3, 1e3)),
      leaf("core_groups", integer(c.core_groups, 1, 1024)),
      leaf("vector_cores", integer(c.vector_cores, 1, 8)),
      leaf("issue_cycles", cycles(c.issue_interval_cycles), "1"),
      leaf("pipe_sync_cycles", cycles(c.pipe_sync_cycles), "0"),
      leaf("task_entry_cycles", cycles(c.task_entry_cycles), "0"),
      group("buffers", {
                           leaf("l1_kib", kib(b.l1)),
                           leaf("l0a_kib", kib(b.l0a)),
                           leaf("l0b_kib", kib(b.l0b)),
                           leaf("l0c_kib", kib(b.l0c)),
                           leaf("ub_kib", kib(b.ub)),
                       }),
      group("cube", {
                        leaf("fill_cycles", cycles(cu.fill_cycles)),
                        leaf("fractals_per_cycle", rate(cu.fractals_per_cycle)),
                        leaf("fp32_slowdown", integer(cu.fp32_slowdown, 1, 1024)),
                    }),
      group("vector", {
                          leaf("width_bytes", integer(ve.width_bytes, 1, 1 << 20)),
                          leaf("issue_cycles", cycles(ve.head_tail_cycles)),
                          leaf("binary", per_repeat(ve.binary)),
                          leaf("unary", per_repeat(ve.unary)),
                          leaf("transcendental", per_repeat(ve.transcendental)),
                          leaf("reduce", per_repeat(ve.reduce)),
                          leaf("cast", per_repeat(ve.cast)),
                          leaf("fill", per_repeat(ve.fill)),
                          leaf("broadcast", per_repeat(ve.broadcast)),
                      }),
      group("dma", {
                       group("gm_to_l1", engine(d.gm_to_l1)),
                       group("gm_to_ub", engine(d.gm_to_ub)),
                       group("ub_to_gm", engine(d.ub_to_gm)),
                       group("l0c_to_gm", engine(d.l0c_to_gm)),
                       group("l1_to_l0a", engine(d.l1_to_l0a)),
                       group("l1_to_l0b", engine(d.l1_to_l0b)),
                       leaf("l0c_to_ub_path", boolean(d.l0c_to_ub_path), "false"),
                       group("l0c_to_ub", engine(d.l0c_to_ub, "dma.l0c_to_gm")),
                       leaf("ub_to_l1_path", boolean(d.ub_to_l1_path), "false"),
                       group("ub_to_l1", engine(d.ub_to_l1, "dma.ub_to_gm")),
                   }),
      // Defaults: no L2 (size 0); the other keys matter only with a size.
      group("l2", {
                      leaf("size_kib", kib_or_zero(c.l2.size_bytes), "0"),
                      leaf("line_bytes", integer(c.l2.line_bytes, 1, 1 << 20), "512"),
                      leaf("sector_bytes", integer(c.l2.sector_bytes, 1, 1 << 20), "=l2.line_bytes"),
                      leaf("associativity", integer(c.l2.associativity, 1, 1024), "16"),
                      leaf("hit_latency_cycles", cycles(c.l2.hit_latency_cycles), "0"),
                      leaf("read_bytes_per_cycle", rate(c.l2.read_bytes_per_cycle), "1e9"),
                      leaf("write_bytes_per_cycle", rate(c.l2.write_bytes_per_cycle), "1e9"),
                      leaf("write_policy", either(c.l2.write_back, "write_back", "write_through"), "write_back"),
                  }),
      group("gm", {
                      leaf("bandwidth_gbps", real(c.gm.bandwidth_gbps, 1e-3, 1e9)),
                      leaf("latency_cycles", cycles(c.gm.latency_cycles)),
                      leaf("core_bytes_per_cycle", real(c.gm.core_bytes_per_cycle, 0, 1e9), "0"),
                  }),
      group("scalar", {
                          leaf("sload_cycles", cycles(c.scalar.sload_cycles)),
                          leaf("op_cycles", cycles(c.scalar.op_cycles)),
                          leaf("flag_cycles", cycles(c.scalar.flag_cycles)),
                      }),
      group("scheduler", {
                             leaf("submit_cycles", cycles(c.scheduler.submit_cycles)),
                             leaf("threads", integer(c.scheduler.threads, 1, 1024)),
                             leaf("dispatch_cycles", cycles(c.scheduler.dispatch_cycles)),
                             leaf("launch_cycles", cycles(c.scheduler.launch_cycles)),
                             leaf("completion_detect_cycles", cycles(c.scheduler.completion_detect_cycles), "0"),
                             leaf("completion_cycles", cycles(c.scheduler.completion_cycles), "0"),
                         }),
  };
}

}  // namespace

namespace {

// Counts documents and where each starts; the events themselves are unused.
struct DocumentStarts : YAML::EventHandler {
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& m) override { starts.push_back(m); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

YAML::Node parse_document(const std::string& yaml_text, const std::string& name) {
  const Layer file{YAML::Node(), name, ""};
  try {
    // At most two documents are looked at: yaml-cpp 0.7 (Debian 12) reports
    // an endless run of empty documents, all starting at the same place,
    // for a line that begins with ',' (so LoadAll never returns). A document
    // that starts where the previous one did is that case.
    std::istringstream in(yaml_text);
    YAML::Parser parser(in);
    DocumentStarts docs;
    while (docs.starts.size() < 2 && parser.HandleNextDocument(docs)) {
    }
    if (docs.starts.size() == 2) {
      const YAML::Mark& m = docs.starts[1];
      if (m.pos == docs.starts[0].pos) {
        const char c = size_t(m.pos) < yaml_text.size() ? yaml_text[size_t(m.pos)] : '?';
        Value{YAML::Node(), &file, "", m.line}.fail(std::string("YAML syntax error: unexpected '") + c + "'");
      }
      Value{YAML::Node(), &file, "", m.line}.fail("expected one YAML document; a second one starts here");
    }
    return YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    Value{YAML::Node(), &file, "", e.mark.is_null() ? -1 : e.mark.line}.fail("YAML syntax error: " + e.msg);
  }
}

}  // namespace

// --- bases ---------------------------------------------------------------------

namespace fs = std::filesystem;

namespace {

// `base: NAME` names a shipped preset when NAME is a bare name (letters,
// digits, '_', '-'); anything else is a path.
bool is_preset_name(const std::string& s) {
  static const std::regex re(R"([A-Za-z0-9_-]+)");
  return std::regex_match(s, re);
}

// `p` as named in messages: relative to the working directory when it lies
// below it, else as it is.
std::string display_path(const fs::path& p) {
  const fs::path n = p.lexically_normal();
  if (!n.is_absolute()) return n.string();
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (ec) return n.string();
  const fs::path rel = n.lexically_relative(cwd);
  if (rel.empty() || *rel.begin() == "..") return n.string();
  return rel.string();
}

std::string canonical_of(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return (ec ? fs::absolute(p, ec) : c).lexically_normal().string();
}

}  // namespace

std::string hw_preset_dir() {
  // The binary's own tree first (build/bin/npusim -> configs/hw), so a moved
  // or copied tree uses its own presets; then the tree it was built from.
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path near = (exe.parent_path() / ".." / ".." / "configs" / "hw").lexically_normal();
    if (fs::is_directory(near, ec)) return near.string();
  }
  return fs::path(NPUSIM_HW_PRESET_DIR).lexically_normal().string();
}

struct HwSource::Impl {
  std::vector<Layer> files;  // the file given, then its bases
  std::vector<Layer> edits;  // in the order given: the last one wins
  std::vector<std::string> names;
};

HwSource::HwSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HwSource::HwSource(HwSource&&) noexcept = default;
HwSource& HwSource::operator=(HwSource&&) noexcept = default;
HwSource::~HwSource() = default;

const std::vector<std::string>& HwSource::files() const { return impl_->names; }

namespace {

// Parse `text` (the file `name`), then follow its `base:` chain.
std::unique_ptr<HwSource::Impl> load_chain(std::string text, std::string name) {
  auto impl = std::make_unique<HwSource::Impl>();
  std::vector<std::string> canon;  // canonical paths of impl->names, for cycles
  while (true) {
    YAML::Node doc = parse_document(text, name);
    impl->files.push_back(Layer{doc, name, ""});
    impl->names.push_back(name);
    canon.push_back(canonical_of(name));
    if (!doc.IsMap()) break;  // resolve() says what is wrong with it
    YAML::Node key, value;
    bool has_base = false;
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      YAML::Node k = it->first;
      if (!k.IsScalar() || k.Scalar() != kBaseKey) continue;
      if (has_base) Value{k, &impl->files.back(), "", k.Mark().line}.fail("duplicate key 'base'");
      has_base = true;
      key.reset(k);
      value.reset(it->second);
    }
    if (!has_base) break;
    const Value at{value, &impl->files.back(), kBaseKey, value.IsNull() ? key.Mark().line : value.Mark().line};
    if (!value.IsScalar() || value.Scalar().empty())
      at.fail("expected a preset name (a2a3) or a file path, got " + describe(value));
    const std::string& b = value.Scalar();
    std::string next;
    if (is_preset_name(b)) {
      const fs::path dir = hw_preset_dir();
      const fs::path f = dir / (b + ".yaml");
      std::error_code ec;
      if (!fs::is_regular_file(f, ec)) {
        std::vector<std::string> have;
        for (const auto& e : fs::directory_iterator(dir, ec))
          if (e.path().extension() == ".yaml") have.push_back(e.path().stem().string());
        std::sort(have.begin(), have.end());
        std::string list;
        for (const std::string& h : have) list += (list.empty() ? "" : ", ") + h;
        at.fail("no preset '" + b + "' in " + display_path(dir) + " (presets: " + (list.empty() ? "none" : list) +
                "; a file path must contain '/' or '.')");
      }
      next = display_path(f);
    } else {
      const fs::path p(b);
      next = (p.is_absolute() ? p : fs::path(name).parent_path() / p).lexically_normal().string();
    }
    const std::string c = canonical_of(next);
    if (std::find(canon.begin(), canon.end(), c) != canon.end()) {
      std::string chain;
      for (const std::string& n : impl->names) chain += n + " -> ";
      at.fail("cycle: " + chain + next);
    }
    try {
      text = read_file(next, "hardware");
    } catch (const FileError& e) {
      at.fail(e.what());
    }
    name = next;
  }
  return impl;
}

// The schema's fields, for questions about keys (the config is a dummy).
bool schema_has(const Fields& fields, const std::string& path) {
  const size_t dot = path.find('.');
  const std::string key = path.substr(0, dot);
  for (const Field& f : fields)
    if (f.key == key) return dot == std::string::npos ? true : !f.read && schema_has(f.fields, path.substr(dot + 1));
  return false;
}

}  // namespace

bool is_hw_key(const std::string& path) {
  HwConfig dummy;
  return schema_has(hw_schema(dummy), path);
}

void HwSource::set(const std::string& path, const YAML::Node& value, const std::string& origin) {
  if (!is_hw_key(path)) throw std::invalid_argument("HwSource::set: '" + path + "' is not a hardware key");
  std::vector<std::string> keys;
  for (size_t at = 0;;) {
    const size_t dot = path.find('.', at);
    keys.push_back(path.substr(at, dot == std::string::npos ? std::string::npos : dot - at));
    if (dot == std::string::npos) break;
    at = dot + 1;
  }
  YAML::Node node;
  node.reset(value);
  for (size_t i = keys.size(); i-- > 0;) {
    YAML::Node m(YAML::NodeType::Map);
    m[keys[i]] = node;
    node.reset(m);
  }
  impl_->edits.push_back(Layer{node, impl_->names.front(), origin});
}

HwConfig HwSource::resolve(std::vector<HwSetting>* settings) const {
  HwConfig c;
  std::vector<Value> srcs;
  for (auto it = impl_->edits.rbegin(); it != impl_->edits.rend(); ++it) srcs.push_back(Value{it->root, &*it, "", -1});
  for (const Layer& f : impl_->files)
    srcs.push_back(Value{f.root, &f, "", f.root.IsNull() ? 0 : f.root.Mark().line});
  if (settings) settings->clear();
  Resolver r{settings, {}};
  resolve_map(srcs, hw_schema(c), "", r);
  // The L2's geometry, across keys (reported at the key that breaks it).
  const HwConfig::L2& l2 = c.l2;
  if (l2.sector_bytes > l2.line_bytes || l2.line_bytes % l2.sector_bytes)
    r.resolved.at("l2.sector_bytes")
        .fail("must divide l2.line_bytes (" + std::to_string(l2.line_bytes) + "), got " +
              std::to_string(l2.sector_bytes));
  if (l2.line_bytes / l2.sector_bytes > 16)
    r.resolved.at("l2.sector_bytes")
        .fail("a line holds at most 16 sectors: must be >= l2.line_bytes / 16 = " +
              std::to_string((l2.line_bytes + 15) / 16) + ", got " + std::to_string(l2.sector_bytes));
  if (l2.size_bytes % (uint64_t(l2.line_bytes) * l2.associativity))
    r.resolved.at("l2.size_kib")
        .fail("must be a whole number of sets: a multiple of l2.line_bytes x l2.associativity = " +
              std::to_string(uint64_t(l2.line_bytes) * l2.associativity) + " B, got " +
              std::to_string(l2.size_bytes) + " B");
  return c;
}

HwSource parse_hw_source(const std::string& yaml_text, const std::string& name) {
  return HwSource(load_chain(yaml_text, name));
}

HwSource load_hw_source(const std::string& path) {
  std::string text;
  try {
    text = read_file(path, "hardware");
  } catch (const FileError& e) {
    throw ConfigError(e.what());
  }
  return HwSource(load_chain(text, path));
}

HwConfig parse_hw_config(const std::string& yaml_text, const std::string& name) {
  return parse_hw_source(yaml_text, name).resolve();
}

HwConfig load_hw_config(const std::string& path) { return load_hw_source(path).resolve(); }

}  // namespace sim
