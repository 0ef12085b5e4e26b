#include "tools/cli/report_io.h"
#include "isa/error.h"
#include "sim/counters.h"
#include "sim/file_io.h"

#include <algorithm>
#include <cstdlib>
#include <map>

namespace cli {

namespace {

using nlohmann::ordered_json;

// "a string", "an object", "null": what a JSON value is, for messages.
std::string a_kind(const ordered_json& j) {
  switch (j.type()) {
    case ordered_json::value_t::object: return "an object";
    case ordered_json::value_t::array: return "an array";
    case ordered_json::value_t::string: return "a string (" + j.dump() + ")";
    case ordered_json::value_t::boolean: return std::string("a boolean (") + (j.get<bool>() ? "true" : "false") + ")";
    case ordered_json::value_t::null: return "null";
    case ordered_json::value_t::number_integer:
    case ordered_json::value_t::number_unsigned:
    case ordered_json::value_t::number_float: return "the number " + j.dump();
    default: return "a " + std::string(j.type_name());
  }
}

class Checker {
 public:
  explicit Checker(const std::string& file) : file_(file) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw isa::InputError(file_ + ": " + (path.empty() ? "" : path + ": ") + what);
  }

  // The member `key` of the object `obj` (at `path`); nullptr when absent and not required.
  const ordered_json* member(const ordered_json& obj, const std::string& path, const std::string& key,
                             bool required) const {
    const auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) fail(join(path, key), "missing (every npusim report has it)");
      return nullptr;
    }
    return &*it;
  }

  void expect(const ordered_json& j, const std::string& path, ordered_json::value_t type, const char* name) const {
    if (j.type() != type) fail(path, std::string("expected ") + name + ", got " + a_kind(j));
  }

  void number(const ordered_json& obj, const std::string& path, const std::string& key, bool required) const {
    const ordered_json* v = member(obj, path, key, required);
    if (!v) return;
    if (!v->is_number()) fail(join(path, key), "expected a number, got " + a_kind(*v));
    if (v->get<double>() < 0) fail(join(path, key), "expected a number >= 0, got " + v->dump());
  }

  // Every counter of the registry in `obj` (totals or a kernel): a gated
  // counter is required; a histogram is an object of numbers; a Stat counter
  // is `<key>_mean` in the totals and an object of its parts in a kernel.
  void counters(const ordered_json& obj, const std::string& path, bool totals) const {
    for (const sim::CounterInfo& ci : sim::counters()) {
      if (ci.agg == sim::Agg::Sum) {
        number(obj, path, ci.key, ci.gated());
        continue;
      }
      if (ci.agg == sim::Agg::Stat) {  // totals: `<key>_mean`; a kernel: an object of its parts
        if (totals) {
          number(obj, path, ci.totals_key(), false);
          continue;
        }
        const ordered_json* o = member(obj, path, ci.key, false);
        if (!o) continue;
        const std::string at = join(path, ci.key);
        expect(*o, at, ordered_json::value_t::object, "an object");
        for (const std::string& part : ci.parts()) number(*o, at, part, false);
        continue;
      }
      const ordered_json* h = member(obj, path, ci.key, ci.gated());
      if (!h) continue;
      const std::string at = join(path, ci.key);
      expect(*h, at, ordered_json::value_t::object, "an object");
      for (const auto& [bucket, n] : h->items()) number(*h, at, bucket, true);
    }
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

 private:
  const std::string& file_;
};

}  // namespace

const std::vector<std::string>& report_counter_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const sim::CounterInfo& c : sim::counters())
      if (c.agg == sim::Agg::Sum) k.push_back(c.key);
    return k;
  }();
  return keys;
}

void validate_report(const ordered_json& r, const std::string& file) {
  const Checker c(file);
  if (!r.is_object()) c.fail("", "not an npusim report: expected a JSON object at the top, got " + a_kind(r));
  using T = ordered_json::value_t;
  c.number(r, "", "total_cycles", true);
  c.number(r, "", "total_us", true);
  const ordered_json& roof = *c.member(r, "", "roofline", true);
  c.expect(roof, "roofline", T::object, "an object");
  c.number(roof, "roofline", "ratio", true);
  for (const char* k : {"bound_cycles", "gm_bound_cycles", "cube_bound_cycles"}) c.number(roof, "roofline", k, false);
  const ordered_json& totals = *c.member(r, "", "totals", true);
  c.expect(totals, "totals", T::object, "an object");
  c.counters(totals, "totals", true);
  const ordered_json& kernels = *c.member(r, "", "kernels", true);
  c.expect(kernels, "kernels", T::array, "an array");
  std::map<std::string, size_t> names;
  for (size_t i = 0; i < kernels.size(); ++i) {
    const std::string at = "kernels[" + std::to_string(i) + "]";
    const ordered_json& k = kernels[i];
    c.expect(k, at, T::object, "an object");
    const ordered_json& name = *c.member(k, at, "name", true);
    c.expect(name, at + ".name", T::string, "a string");
    const auto [it, fresh] = names.emplace(name.get<std::string>(), i);
    if (!fresh)
      c.fail(at + ".name", "kernel " + name.dump() + " appears twice (also kernels[" + std::to_string(it->second) +
                               "])");
    c.counters(k, at, false);
  }
  // What the HTML report reads besides (reports of older versions may lack
  // each part; the page says so). `string`: a member that is a string when
  // present (also for the provenance below).
  auto string = [&](const ordered_json& obj, const std::string& at, const char* key) {
    if (const ordered_json* v = c.member(obj, at, key, false))
      c.expect(*v, Checker::join(at, key), T::string, "a string");
  };
  string(r, "", "hw");
  string(r, "", "workload");
  c.number(r, "", "clock_ghz", false);
  if (const ordered_json* cp = c.member(r, "", "critical_path", false)) {
    c.expect(*cp, "critical_path", T::object, "an object");
    c.number(*cp, "critical_path", "tasks", true);
    c.number(*cp, "critical_path", "first_dispatch_cycles", false);
    if (const ordered_json* w = c.member(*cp, "critical_path", "waited_for", false)) {
      c.expect(*w, "critical_path.waited_for", T::object, "an object");
      for (const auto& [why, n] : w->items()) c.number(*w, "critical_path.waited_for", why, true);
    }
    const ordered_json& ks = *c.member(*cp, "critical_path", "kernels", true);
    c.expect(ks, "critical_path.kernels", T::array, "an array");
    for (size_t i = 0; i < ks.size(); ++i) {
      const std::string at = "critical_path.kernels[" + std::to_string(i) + "]";
      c.expect(ks[i], at, T::object, "an object");
      c.expect(*c.member(ks[i], at, "name", true), at + ".name", T::string, "a string");
      c.number(ks[i], at, "tasks", true);
      c.number(ks[i], at, "cycles", true);
    }
  }
  if (const ordered_json* ss = c.member(r, "", "sites", false)) {
    c.expect(*ss, "sites", T::array, "an array");
    for (size_t i = 0; i < ss->size(); ++i) {
      const std::string at = "sites[" + std::to_string(i) + "]";
      const ordered_json& s = (*ss)[i];
      c.expect(s, at, T::object, "an object");
      for (const char* key : {"kernel", "site", "op"})
        c.expect(*c.member(s, at, key, true), Checker::join(at, key), T::string, "a string");
      c.number(s, at, "count", true);
      for (const char* key : {"bytes", "busy_cycles", "busy_share", "launch_overhead_cycles", "l2_hits", "l2_misses",
                              "l2_hit_bytes", "hbm_bytes"})
        c.number(s, at, key, false);
    }
  }
  // What the report was made from (reports before it lack it); `compare`
  // prints the parts checked here, whatever else it holds is ignored.
  if (const ordered_json* p = c.member(r, "", "provenance", false)) {
    c.expect(*p, "provenance", T::object, "an object");
    auto file = [&](const ordered_json& f, const std::string& at) {
      c.expect(f, at, T::object, "an object");
      string(f, at, "path");
      string(f, at, "fnv1a64");
    };
    string(*p, "provenance", "npusim");
    string(*p, "provenance", "commit");
    for (const char* key : {"hw", "workload", "program"})
      if (const ordered_json* f = c.member(*p, "provenance", key, false)) file(*f, std::string("provenance.") + key);
    if (const ordered_json* b = c.member(*p, "provenance", "hw_bases", false)) {
      c.expect(*b, "provenance.hw_bases", T::array, "an array");
      for (size_t i = 0; i < b->size(); ++i) file((*b)[i], "provenance.hw_bases[" + std::to_string(i) + "]");
    }
    if (const ordered_json* set = c.member(*p, "provenance", "set", false)) {
      c.expect(*set, "provenance.set", T::array, "an array");
      for (size_t i = 0; i < set->size(); ++i)
        c.expect((*set)[i], "provenance.set[" + std::to_string(i) + "]", T::string, "a string");
    }
    c.number(*p, "provenance", "seed", false);
  }
}

nlohmann::ordered_json load_report(const std::string& path) {
  return parse_report(sim::read_file(path, "report"), path);
}

nlohmann::ordered_json parse_report(const std::string& text, const std::string& name) {
  nlohmann::ordered_json r;
  try {
    r = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw isa::InputError(name + ": not a JSON report: " + e.what());
  }
  validate_report(r, name);
  return r;
}

double histogram_bucket_bytes(const std::string& label) {
  char* end = nullptr;
  const char* num = label.c_str() + std::min<size_t>(2, label.size());
  const double n = std::strtod(num, &end);
  const std::string unit = end == num ? "?" : end;
  if (unit != "B" && unit != "KiB" && unit != "MiB") return 1e300;
  return n * (unit == "KiB" ? 1024.0 : unit == "MiB" ? 1048576.0 : 1.0);
}

std::string report_label(const std::string& path) {
  std::string s = path.substr(path.find_last_of('/') + 1);
  if (s.size() > 5 && s.compare(s.size() - 5, 5, ".json") == 0) s.resize(s.size() - 5);
  return s;
}

}  // namespace cli
