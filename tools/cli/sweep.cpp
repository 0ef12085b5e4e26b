#include "tools/cli/sweep.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "sim/counters.h"
#include "sim/file_io.h"
#include "sim/hw_config.h"
#include "tools/cli/overrides.h"
#include "tools/cli/report_io.h"
#include "workloads/workload.h"

namespace fs = std::filesystem;

namespace cli::sweep {

namespace {

int line_of(const YAML::Node& n) { return n.Mark().is_null() ? 1 : n.Mark().line + 1; }

[[noreturn]] void fail(const std::string& file, int line, const std::string& key, const std::string& msg) {
  throw SweepError(file + ":" + std::to_string(line) + ": " + (key.empty() ? "" : key + ": ") + msg);
}

std::string text_of(const YAML::Node& n) {
  if (n.IsNull()) return "null";
  if (n.IsScalar()) {
    if (n.Tag() != "!") return n.Scalar();  // plain: as written
    YAML::Emitter e;
    e << YAML::DoubleQuoted << n.Scalar();
    return e.c_str();
  }
  YAML::Emitter e;
  e.SetSeqFormat(YAML::Flow);
  e.SetMapFormat(YAML::Flow);
  e << n;
  return e.c_str();
}

bool is_file_axis(const std::string& key) { return key == "hw" || key == "workload"; }

// Checks an axis key's form; `where` is "axes" or "zip[i]".
void check_key_form(const std::string& file, int line, const std::string& where, const std::string& key) {
  if (is_file_axis(key)) return;
  try {
    parse_override(key + "=0");
  } catch (const OverrideError&) {
    fail(file, line, where + "." + key,
         "an axis key is hw.<key.path>, workload.<key.path>, or hw / workload (the base file itself)");
  }
}

// The values of one axis: a non-empty sequence.
std::vector<std::string> axis_values(const std::string& file, const std::string& where, const std::string& key,
                                     const YAML::Node& k, const YAML::Node& v) {
  const std::string name = where + "." + key;
  if (!v.IsSequence() || v.size() == 0)
    fail(file, line_of(v.IsNull() ? k : v), name, "expected a non-empty list of values, e.g. [128, 256]");
  std::vector<std::string> out;
  for (const YAML::Node& x : v) {
    if (is_file_axis(key) && (!x.IsScalar() || x.Scalar().empty()))
      fail(file, line_of(x), name, "expected file names");
    out.push_back(text_of(x));
  }
  return out;
}

}  // namespace

std::string value_text(const std::string& yaml) { return text_of(YAML::Load(yaml)); }

std::vector<std::string> Spec::columns() const {
  std::vector<std::string> c;
  for (const Dimension& d : dims) c.insert(c.end(), d.keys.begin(), d.keys.end());
  return c;
}

Spec parse_spec(const std::string& yaml_text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    fail(file, e.mark.is_null() ? 1 : e.mark.line + 1, "", "YAML syntax error: " + e.msg);
  }
  if (!root.IsMap()) fail(file, root.IsDefined() && !root.IsNull() ? line_of(root) : 1, "",
                          "expected a map with keys hw, workload, axes (and zip)");
  Spec s;
  s.file = file;
  std::map<std::string, int> top;  // key -> line
  YAML::Node axes, zip;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const YAML::Node k = it->first;
    const std::string key = k.IsScalar() ? k.Scalar() : "";
    if (key != "hw" && key != "workload" && key != "axes" && key != "zip" && key != "timeout" &&
        key != "description")
      fail(file, line_of(k), key, "unknown key (expected one of: hw, workload, axes, zip, timeout, description)");
    if (top.count(key)) fail(file, line_of(k), key, "duplicate key");
    top[key] = line_of(k);
    const YAML::Node v = it->second;
    if (key == "hw" || key == "workload") {
      if (!v.IsScalar() || v.Scalar().empty()) fail(file, line_of(v.IsNull() ? k : v), key, "expected a file name");
      (key == "hw" ? s.hw : s.workload) = v.Scalar();
    } else if (key == "axes") {
      if (!v.IsMap()) fail(file, line_of(v.IsNull() ? k : v), key, "expected a map of KEY: [values]");
      axes.reset(v);
    } else if (key == "zip") {
      if (!v.IsSequence()) fail(file, line_of(v.IsNull() ? k : v), key, "expected a list of groups (maps of KEY: [values])");
      zip.reset(v);
    } else if (key == "timeout") {
      const std::string t = v.IsScalar() ? v.Scalar() : "";
      char* end = nullptr;
      s.timeout = t.empty() ? 0 : std::strtod(t.c_str(), &end);
      if (t.empty() || *end || !std::isfinite(s.timeout) || s.timeout <= 0)
        fail(file, line_of(v.IsNull() ? k : v), key, "expected a positive number of seconds, e.g. 600");
    }
  }

  std::map<std::string, int> seen;  // every axis key -> line
  auto add_key = [&](Dimension& d, const std::string& where, const YAML::Node& k) {
    if (!k.IsScalar()) fail(file, line_of(k), where, "expected a key name");
    const std::string key = k.Scalar();
    check_key_form(file, line_of(k), where, key);
    if (seen.count(key))
      fail(file, line_of(k), where + "." + key, "swept twice (also on line " + std::to_string(seen[key]) + ")");
    seen[key] = line_of(k);
    d.keys.push_back(key);
    d.lines.push_back(line_of(k));
    d.where.push_back(where);
    return key;
  };
  auto check_distinct = [&](const Dimension& d) {
    for (size_t i = 0; i < d.steps.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (d.steps[i] == d.steps[j]) {
          std::string v;
          for (const std::string& x : d.steps[i]) v += (v.empty() ? "" : ", ") + x;
          fail(file, d.lines[0], d.where[0] + "." + d.keys[0],
               "value " + std::to_string(i + 1) + " repeats value " + std::to_string(j + 1) + " (" + v +
                   "): every point must be distinct");
        }
  };

  if (axes.IsMap()) {
    for (auto it = axes.begin(); it != axes.end(); ++it) {
      Dimension d;
      const std::string key = add_key(d, "axes", it->first);
      for (std::string& v : axis_values(file, "axes", key, it->first, it->second)) d.steps.push_back({v});
      check_distinct(d);
      s.dims.push_back(std::move(d));
    }
  }
  if (zip.IsSequence()) {
    for (size_t g = 0; g < zip.size(); ++g) {
      const YAML::Node group = zip[g];
      const std::string where = "zip[" + std::to_string(g) + "]";
      if (!group.IsMap() || group.size() == 0)
        fail(file, line_of(group), where, "expected a map of KEY: [values] (keys that move together)");
      Dimension d;
      for (auto it = group.begin(); it != group.end(); ++it) {
        const std::string key = add_key(d, where, it->first);
        const std::vector<std::string> vals = axis_values(file, where, key, it->first, it->second);
        if (d.steps.empty()) d.steps.resize(vals.size());
        if (vals.size() != d.steps.size())
          fail(file, line_of(it->first), where + "." + key,
               "has " + std::to_string(vals.size()) + " values, " + where + "." + d.keys[0] + " has " +
                   std::to_string(d.steps.size()) + " (a zip group moves together: equal lengths)");
        for (size_t i = 0; i < vals.size(); ++i) d.steps[i].push_back(vals[i]);
      }
      check_distinct(d);
      s.dims.push_back(std::move(d));
    }
  }
  if (s.dims.empty()) fail(file, top.count("axes") ? top["axes"] : 1, "axes", "no axes (give axes: or zip:)");
  for (const char* base : {"hw", "workload"}) {
    const bool swept = seen.count(base) > 0;
    const std::string& f = std::string(base) == "hw" ? s.hw : s.workload;
    if (!swept && f.empty())
      fail(file, 1, base,
           std::string("missing: give the base ") + (std::string(base) == "hw" ? "hardware" : "workload") +
               " file (or sweep it: axes: {" + base + ": [...]})");
    if (swept) (std::string(base) == "hw" ? s.hw : s.workload).clear();
  }
  return s;
}

Spec load_spec(const std::string& path) { return parse_spec(sim::read_file(path, "sweep"), path); }

void check_keys(const Spec& spec) {
  // The candidate base files of each target.
  std::map<std::string, std::vector<std::string>> files;
  for (const char* t : {"hw", "workload"}) {
    const std::string& base = std::string(t) == "hw" ? spec.hw : spec.workload;
    if (!base.empty()) files[t] = {base};
    for (const Dimension& d : spec.dims)
      for (size_t k = 0; k < d.keys.size(); ++k)
        if (d.keys[k] == t)
          for (const auto& step : d.steps) files[t].push_back(step[k]);
  }
  // A workload key must be in a base file; a hw key in the hardware schema
  // (a file may inherit it from its base or leave it to its default). Each
  // hardware file is read with its bases, so a bad base is an error here.
  std::map<std::string, YAML::Node> workload_docs;
  for (const auto& [t, fs_] : files)
    for (const std::string& f : fs_) {
      if (t == "hw")
        sim::load_hw_source(f);
      else if (!workload_docs.count(f))
        workload_docs[f] = workloads::read_workload_yaml(f);
    }
  for (const Dimension& d : spec.dims)
    for (size_t k = 0; k < d.keys.size(); ++k) {
      if (is_file_axis(d.keys[k])) continue;
      const Override o = parse_override(d.keys[k] + "=0");
      bool any = false;
      if (o.target == "hw")
        any = o.path != "base" && sim::is_hw_key(o.path);
      else
        for (const std::string& f : files[o.target]) any = any || has_key(workload_docs[f], o.path);
      if (!any) {
        const auto& fl = files[o.target];
        std::string names;
        for (const std::string& f : fl) names += (names.empty() ? "" : ", ") + f;
        fail(spec.file, d.lines[k], d.where[k] + "." + d.keys[k],
             "no such key in " + std::string(fl.size() > 1 ? "any of " : "") + names);
      }
    }
}

std::vector<Point> expand(const Spec& spec) {
  size_t total = 1;
  for (const Dimension& d : spec.dims) total *= d.steps.size();
  std::vector<Point> points(total);
  for (size_t i = 0; i < total; ++i) {
    Point& p = points[i];
    p.index = i;
    std::vector<size_t> step(spec.dims.size());
    size_t rem = i;
    for (size_t d = spec.dims.size(); d-- > 0;) {
      step[d] = rem % spec.dims[d].steps.size();
      rem /= spec.dims[d].steps.size();
    }
    for (size_t d = 0; d < spec.dims.size(); ++d)
      for (const std::string& v : spec.dims[d].steps[step[d]]) p.values.push_back(v);
  }
  return points;
}

std::vector<std::string> run_args(const Spec& spec, const Point& p, const std::string& report) {
  const std::vector<std::string> cols = spec.columns();
  std::string hw = spec.hw, workload = spec.workload;
  std::vector<std::string> sets;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i] == "hw")
      hw = p.values[i];
    else if (cols[i] == "workload")
      workload = p.values[i];
    else
      sets.push_back(cols[i] + "=" + p.values[i]);
  }
  std::vector<std::string> a = {"run", "--hw", hw, "--workload", workload};
  for (const std::string& s : sets) {
    a.push_back("--set");
    a.push_back(s);
  }
  a.insert(a.end(), {"--report", report, "-q"});
  return a;
}

// --- CSV ---------------------------------------------------------------------

const std::vector<std::string>& metric_columns() {
  // The summed counters of the registry (sim/counters.h) and the means of
  // the Stat ones (`exec_us_mean`: the totals' key), in report order; a
  // histogram is not one number and has no column.
  static const std::vector<std::string> c = [] {
    std::vector<std::string> cols = {"status", "error", "total_cycles", "total_us"};
    for (const sim::CounterInfo& ci : sim::counters())
      if (ci.agg == sim::Agg::Sum)
        cols.push_back(ci.key);
      else if (ci.agg == sim::Agg::Stat)
        cols.push_back(ci.totals_key());  // the totals' mean over all records
    cols.push_back("roofline_ratio");
    return cols;
  }();
  return c;
}

std::vector<std::string> csv_header(const std::vector<std::string>& axis_columns) {
  std::vector<std::string> h = {"point"};
  h.insert(h.end(), axis_columns.begin(), axis_columns.end());
  h.insert(h.end(), metric_columns().begin(), metric_columns().end());
  return h;
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string& f = fields[i];
    if (i) out += ',';
    const bool quote = f.find_first_of(",\"\n\r") != std::string::npos ||
                       (!f.empty() && (f.front() == ' ' || f.back() == ' '));
    if (!quote) {
      out += f;
      continue;
    }
    out += '"';
    for (char c : f) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  return out + "\n";
}

std::vector<std::string> parse_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  size_t i = 0;
  bool start = true;
  while (i < line.size()) {
    const char c = line[i];
    if (start && c == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) throw isa::InputError("unterminated quoted field");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            fields.back() += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        fields.back() += line[i++];
      }
      if (i < line.size() && line[i] != ',') throw isa::InputError("text after a quoted field");
      start = false;
      continue;
    }
    if (c == ',') {
      fields.emplace_back();
      start = true;
    } else {
      fields.back() += c;
      start = false;
    }
    ++i;
  }
  return fields;
}

std::string one_line(const std::string& text) {
  std::string out, line;
  std::istringstream in(text);
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (line.rfind("npusim: ", 0) == 0) line.erase(0, 8);
    if (line.empty()) continue;
    out += (out.empty() ? "" : " | ") + line;
  }
  return out;
}

namespace {

std::string number(const nlohmann::ordered_json& j) { return j.is_number() ? j.dump() : ""; }

std::vector<std::string> row_start(const Point& p) {
  std::vector<std::string> r = {std::to_string(p.index)};
  r.insert(r.end(), p.values.begin(), p.values.end());
  return r;
}

}  // namespace

std::vector<std::string> ok_row(const Point& p, const nlohmann::ordered_json& report) {
  std::vector<std::string> r = row_start(p);
  const nlohmann::ordered_json empty;
  const auto& totals = report.contains("totals") ? report["totals"] : empty;
  for (const std::string& c : metric_columns()) {
    if (c == "status")
      r.push_back("ok");
    else if (c == "error")
      r.emplace_back();
    else if (c == "total_cycles" || c == "total_us")
      r.push_back(report.contains(c) ? number(report[c]) : "");
    else if (c == "roofline_ratio")
      r.push_back(report.contains("roofline") && report["roofline"].contains("ratio")
                      ? number(report["roofline"]["ratio"])
                      : "");
    else
      r.push_back(totals.is_object() && totals.contains(c) ? number(totals[c]) : "");
  }
  return r;
}

std::vector<std::string> error_row(const Point& p, const std::string& message) {
  std::vector<std::string> r = row_start(p);
  for (const std::string& c : metric_columns()) r.push_back(c == "status" ? "error" : c == "error" ? message : "");
  return r;
}

Existing read_existing(const std::string& text, const std::string& file, const std::vector<std::string>& header) {
  Existing e;
  const size_t axes = header.size() - 1 - metric_columns().size();
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) {  // cut short by an interrupted write
      e.partial_line = true;
      break;
    }
    const std::string line = text.substr(pos, nl - pos);
    ++line_no;
    std::vector<std::string> f;
    try {
      f = parse_csv_line(line);
    } catch (const std::exception& ex) {
      throw isa::InputError(file + ":" + std::to_string(line_no) + ": " + ex.what());
    }
    if (!e.has_header) {
      if (f != header) {
        std::string want;
        for (const std::string& h : header) want += (want.empty() ? "" : ",") + h;
        throw isa::InputError(file + ":1: the header is not this sweep's (other axes?); expected: " + want);
      }
      e.has_header = true;
    } else {
      if (f.size() != header.size())
        throw isa::InputError(file + ":" + std::to_string(line_no) + ": expected " +
                                 std::to_string(header.size()) + " fields, got " + std::to_string(f.size()));
      e.done.insert(std::vector<std::string>(f.begin() + 1, f.begin() + 1 + long(axes)));
      ++e.rows;
    }
    pos = nl + 1;
    e.keep_bytes = pos;
  }
  return e;
}

std::string drop_failed(const std::string& text, const std::vector<std::string>& header,
                        const std::vector<Point>& points, size_t& dropped) {
  const size_t axes = header.size() - 1 - metric_columns().size();
  const size_t status_col = 1 + axes;
  std::set<std::vector<std::string>> ours;
  for (const Point& p : points) ours.insert(p.values);
  std::string kept;
  dropped = 0;
  size_t pos = 0;
  for (size_t nl; (nl = text.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    const std::string line = text.substr(pos, nl + 1 - pos);
    if (pos > 0) {  // not the header
      const std::vector<std::string> f = parse_csv_line(line.substr(0, line.size() - 1));
      if (f.size() == header.size() && f[status_col] == "error" &&
          ours.count(std::vector<std::string>(f.begin() + 1, f.begin() + 1 + long(axes)))) {
        ++dropped;
        continue;
      }
    }
    kept += line;
  }
  return kept;
}

// --- emit-jobs / collect -----------------------------------------------------

std::string shell_quote(const std::string& w) {
  const bool safe = !w.empty() && w.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                      "0123456789_@%+=:,./-") == std::string::npos;
  if (safe) return w;
  std::string out = "'";
  for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string job_line(const std::string& bin, const Spec& spec, const Point& p, const std::string& dir) {
  const std::string r = dir + "/results/point-" + std::to_string(p.index);
  const std::string json = shell_quote(r + ".json"), err = shell_quote(r + ".err");
  std::string cmd = shell_quote(bin);
  for (const std::string& a : run_args(spec, p, r + ".json")) cmd += " " + shell_quote(a);
  return "rm -f " + json + " " + err + "; " + cmd + " 2> " + err + " && rm -f " + err;
}

Collected collect(const std::string& dir) {
  const std::string points_file = dir + "/points.csv";
  std::ifstream in(points_file);
  if (!in) throw isa::InputError("cannot open " + points_file + " (written by npusim sweep --emit-jobs)");
  Collected c;
  std::string line;
  int line_no = 0;
  std::vector<std::string> head;
  std::vector<std::pair<size_t, std::vector<std::string>>> points;
  while (std::getline(in, line)) {
    ++line_no;
    std::vector<std::string> f;
    try {
      f = parse_csv_line(line);
    } catch (const std::exception& e) {
      throw isa::InputError(points_file + ":" + std::to_string(line_no) + ": " + e.what());
    }
    if (line_no == 1) {
      if (f.empty() || f[0] != "point") throw isa::InputError(points_file + ":1: expected a header starting 'point'");
      head = f;
      continue;
    }
    if (f.size() != head.size())
      throw isa::InputError(points_file + ":" + std::to_string(line_no) + ": expected " +
                               std::to_string(head.size()) + " fields, got " + std::to_string(f.size()));
    char* end = nullptr;
    const unsigned long long idx = std::strtoull(f[0].c_str(), &end, 10);
    if (f[0].empty() || *end) throw isa::InputError(points_file + ":" + std::to_string(line_no) + ": bad point index");
    points.emplace_back(size_t(idx), std::vector<std::string>(f.begin() + 1, f.end()));
  }
  if (head.empty()) throw isa::InputError(points_file + ": empty");
  c.header = csv_header(std::vector<std::string>(head.begin() + 1, head.end()));
  std::sort(points.begin(), points.end());
  for (const auto& [idx, vals] : points) {
    const Point p{idx, vals};
    const std::string base = dir + "/results/point-" + std::to_string(idx);
    if (fs::exists(base + ".err")) {
      std::ifstream e(base + ".err");
      std::ostringstream os;
      os << e.rdbuf();
      std::string msg = one_line(os.str());
      if (msg.empty()) msg = "failed without a message (see the job log)";
      c.rows.push_back(error_row(p, msg));
      ++c.failed;
    } else if (fs::exists(base + ".json")) {
      try {
        c.rows.push_back(ok_row(p, load_report(base + ".json")));
      } catch (const std::exception& e) {
        c.rows.push_back(error_row(p, e.what()));
        ++c.failed;
      }
    } else {
      c.missing.push_back(idx);
    }
  }
  return c;
}

}  // namespace cli::sweep
