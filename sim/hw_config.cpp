// Hardware config loader: YAML text -> validated HwConfig.
//
// The whole schema is one declarative table (hw_schema below): each map lists
// its keys with a reader that converts and range-checks the value into a
// HwConfig field. read_map() enforces, per map, that there are no unknown,
// duplicate or missing keys. Every error is a ConfigError
// "FILE:LINE: key.path: message" with LINE 1-based.
#include "sim/hw_config.h"

#include "sim/file_io.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
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

// One YAML value being read: the node, where it is, and how to complain.
using Overrides = std::map<std::string, std::string>;

struct Value {
  YAML::Node node;
  const std::string* file;
  std::string path;  // "dma.gm_to_l1.setup_cycles"; empty for the document root
  int line;          // 0-based, -1 if unknown
  const Overrides* overridden = nullptr;

  // Where the value at `path` came from when it (or a map above it) was
  // replaced after parsing; null otherwise.
  const std::string* origin() const {
    if (!overridden) return nullptr;
    for (const auto& [key, from] : *overridden)
      if (path == key || path.compare(0, key.size() + 1, key + ".") == 0) return &from;
    return nullptr;
  }

  [[noreturn]] void fail(const std::string& msg) const {
    const std::string* from = origin();
    std::string s = *file;
    if (line >= 0 && !from) s += ":" + std::to_string(line + 1);
    s += ": ";
    if (!path.empty()) s += path + ": ";
    s += msg;
    if (from) s += " (from " + *from + ")";
    throw ConfigError(s);
  }
};

using Reader = std::function<void(const Value&)>;
struct Field {
  const char* key;
  Reader read;
};
using Fields = std::vector<Field>;

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

const std::regex& number_re() {
  static const std::regex re(R"([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)");
  return re;
}
const std::regex& integer_re() {
  static const std::regex re(R"([+-]?\d+)");
  return re;
}

void read_map(const Value& v, const Fields& fields) {
  if (!v.node.IsMap()) v.fail("expected a map, got " + describe(v.node));
  std::vector<std::optional<std::pair<YAML::Node, YAML::Node>>> found(fields.size());  // key, value
  for (auto it = v.node.begin(); it != v.node.end(); ++it) {
    YAML::Node k = it->first;  // by value: `it->` yields a temporary proxy
    Value at{k, v.file, v.path, k.Mark().line, v.overridden};
    if (!k.IsScalar()) at.fail("expected a key name, got " + describe(k));
    size_t i = 0;
    while (i < fields.size() && k.Scalar() != fields[i].key) ++i;
    if (i == fields.size()) {
      std::string keys;
      for (const Field& f : fields) keys += (keys.empty() ? "" : ", ") + std::string(f.key);
      at.fail("unknown key '" + k.Scalar() + "' (expected one of: " + keys + ")");
    }
    if (found[i]) at.fail("duplicate key '" + k.Scalar() + "'");
    found[i] = {k, it->second};
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!found[i]) v.fail("missing key '" + std::string(fields[i].key) + "'");
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    const auto& [k, val] = *found[i];
    // An empty value has no position of its own in yaml-cpp: use its key's.
    int line = val.IsNull() ? k.Mark().line : val.Mark().line;
    fields[i].read(Value{val, v.file, v.path.empty() ? k.Scalar() : v.path + "." + k.Scalar(), line, v.overridden});
  }
}

// --- readers, one per kind of field ---------------------------------------

Reader map(Fields fields) {
  return [fields = std::move(fields)](const Value& v) { read_map(v, fields); };
}

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

Reader boolean(bool& dst) {
  return [&dst](const Value& v) {
    const std::string* s = plain_scalar(v.node);
    if (s && *s == "true")
      dst = true;
    else if (s && *s == "false")
      dst = false;
    else
      v.fail("expected true or false, got " + describe(v.node));
  };
}

Reader text(std::string& dst) {
  return [&dst](const Value& v) {
    if (!v.node.IsScalar()) v.fail("expected a string, got " + describe(v.node));
    if (v.node.Scalar().empty()) v.fail("must not be empty");
    dst = v.node.Scalar();
  };
}

Reader engine(EngineConfig& e) {
  return map({
      {"setup_cycles", cycles(e.setup_cycles)},
      {"bytes_per_cycle", rate(e.bytes_per_cycle)},
  });
}

// --- the schema -------------------------------------------------------------

Fields hw_schema(HwConfig& c) {
  auto& b = c.buffers;
  auto& cu = c.cube;
  auto& ve = c.vector;
  auto& d = c.dma;
  return {
      {"name", text(c.name)},
      {"clock_ghz", real(c.clock_ghz, 1e-3, 1e3)},
      {"core_groups", integer(c.core_groups, 1, 1024)},
      {"vector_cores", integer(c.vector_cores, 1, 8)},
      {"issue_cycles", cycles(c.issue_cycles)},
      {"buffers", map({
                      {"l1_kib", kib(b.l1)},
                      {"l0a_kib", kib(b.l0a)},
                      {"l0b_kib", kib(b.l0b)},
                      {"l0c_kib", kib(b.l0c)},
                      {"ub_kib", kib(b.ub)},
                  })},
      {"cube", map({
                   {"fill_cycles", cycles(cu.fill_cycles)},
                   {"fractals_per_cycle", rate(cu.fractals_per_cycle)},
                   {"fp32_slowdown", integer(cu.fp32_slowdown, 1, 1024)},
               })},
      {"vector", map({
                     {"width_bytes", integer(ve.width_bytes, 1, 1 << 20)},
                     {"issue_cycles", cycles(ve.issue_cycles)},
                     {"binary", per_repeat(ve.binary)},
                     {"unary", per_repeat(ve.unary)},
                     {"transcendental", per_repeat(ve.transcendental)},
                     {"reduce", per_repeat(ve.reduce)},
                     {"cast", per_repeat(ve.cast)},
                     {"fill", per_repeat(ve.fill)},
                     {"broadcast", per_repeat(ve.broadcast)},
                 })},
      {"dma", map({
                  {"burst_bytes", integer(d.burst_bytes, 1, 1 << 20)},
                  {"gm_to_l1", engine(d.gm_to_l1)},
                  {"gm_to_ub", engine(d.gm_to_ub)},
                  {"ub_to_gm", engine(d.ub_to_gm)},
                  {"l0c_to_gm", engine(d.l0c_to_gm)},
                  {"l1_to_l0a", engine(d.l1_to_l0a)},
                  {"l1_to_l0b", engine(d.l1_to_l0b)},
                  {"l0c_to_ub_path", boolean(d.l0c_to_ub_path)},
                  {"l0c_to_ub", engine(d.l0c_to_ub)},
              })},
      {"gm", map({
                 {"bandwidth_gbps", real(c.gm.bandwidth_gbps, 1e-3, 1e9)},
                 {"latency_cycles", cycles(c.gm.latency_cycles)},
             })},
      {"scalar", map({
                     {"sload_cycles", cycles(c.scalar.sload_cycles)},
                     {"op_cycles", cycles(c.scalar.op_cycles)},
                     {"flag_cycles", cycles(c.scalar.flag_cycles)},
                 })},
      {"scheduler", map({
                        {"submit_cycles", cycles(c.scheduler.submit_cycles)},
                        {"threads", integer(c.scheduler.threads, 1, 1024)},
                        {"dispatch_cycles", cycles(c.scheduler.dispatch_cycles)},
                        {"launch_cycles", cycles(c.scheduler.launch_cycles)},
                    })},
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
        Value{YAML::Node(), &name, "", m.line}.fail(std::string("YAML syntax error: unexpected '") + c + "'");
      }
      Value{YAML::Node(), &name, "", m.line}.fail("expected one YAML document; a second one starts here");
    }
    return YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    Value{YAML::Node(), &name, "", e.mark.is_null() ? -1 : e.mark.line}.fail("YAML syntax error: " + e.msg);
  }
}

}  // namespace

HwConfig parse_hw_config(const YAML::Node& root, const std::string& name, const Overrides& overridden) {
  HwConfig c;
  read_map(Value{root, &name, "", root.IsNull() ? 0 : root.Mark().line, &overridden}, hw_schema(c));
  return c;
}

HwConfig parse_hw_config(const std::string& yaml_text, const std::string& name) {
  return parse_hw_config(parse_document(yaml_text, name), name);
}

HwConfig load_hw_config(const std::string& path) { return parse_hw_config(load_hw_yaml(path), path); }

YAML::Node load_hw_yaml(const std::string& path) {
  std::string text;
  try {
    text = read_file(path, "hardware");
  } catch (const FileError& e) {
    throw ConfigError(e.what());
  }
  return parse_document(text, path);
}

}  // namespace sim
