#include "tools/cli/overrides.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "sim/file_io.h"
#include "workloads/workload.h"

namespace cli {

namespace {

// One step of a key path: a map key, then zero or more sequence indexes.
struct Step {
  std::string key;
  std::vector<size_t> indexes;
};

// "seq_lens.list[3]" -> {seq_lens}, {list, [3]}; nullopt-like empty result on
// a malformed path (empty segment, bad index).
bool split_path(const std::string& path, std::vector<Step>& steps) {
  steps.clear();
  size_t pos = 0;
  while (true) {
    const size_t dot = path.find('.', pos);
    const std::string seg = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    const size_t br = seg.find('[');
    Step s{seg.substr(0, br), {}};
    if (s.key.empty()) return false;
    for (size_t at = br; at != std::string::npos && at < seg.size();) {
      const size_t close = seg.find(']', at);
      if (seg[at] != '[' || close == std::string::npos || close == at + 1) return false;
      const std::string digits = seg.substr(at + 1, close - at - 1);
      for (char c : digits)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
      s.indexes.push_back(std::strtoull(digits.c_str(), nullptr, 10));
      at = close + 1;
    }
    steps.push_back(std::move(s));
    if (dot == std::string::npos) return true;
    pos = dot + 1;
  }
}

// The node at `path` (sharing the document's storage), or an invalid-looking
// result: `found` false. Never inserts keys.
YAML::Node find(const YAML::Node& root, const std::string& path, bool& found) {
  found = false;
  std::vector<Step> steps;
  if (!split_path(path, steps)) return YAML::Node();
  // Node::operator= assigns through to the document; reset() rebinds a handle.
  YAML::Node cur;
  cur.reset(root);
  for (const Step& s : steps) {
    if (!cur.IsMap()) return YAML::Node();
    YAML::Node next;
    bool hit = false;
    for (auto it = cur.begin(); it != cur.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == s.key) {
        next.reset(it->second);
        hit = true;
        break;
      }
    }
    if (!hit) return YAML::Node();
    for (size_t i : s.indexes) {
      if (!next.IsSequence() || i >= next.size()) return YAML::Node();
      YAML::Node elem = next[i];
      next.reset(elem);
    }
    cur.reset(next);
  }
  found = true;
  return cur;
}

// Does error path `p` ("seq_lens.list[3]") lie at or below `key` ("seq_lens")?
bool at_or_below(const std::string& p, const std::string& key) {
  if (p.compare(0, key.size(), key) != 0) return false;
  return p.size() == key.size() || p[key.size()] == '.' || p[key.size()] == '[';
}

}  // namespace

Override parse_override(const std::string& arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos) throw OverrideError("--set " + arg + ": expected KEY=VALUE");
  const std::string key = arg.substr(0, eq);
  const size_t dot = key.find('.');
  Override o;
  o.target = key.substr(0, dot);
  o.path = dot == std::string::npos ? "" : key.substr(dot + 1);
  o.value = arg.substr(eq + 1);
  std::vector<Step> steps;
  if ((o.target != "hw" && o.target != "workload") || o.path.empty() || !split_path(o.path, steps))
    throw OverrideError("--set " + key + ": KEY must be hw.<key.path> or workload.<key.path>");
  return o;
}

bool has_key(const YAML::Node& root, const std::string& path) {
  bool found = false;
  find(root, path, found);
  return found;
}

namespace {

YAML::Node parse_value(const Override& o) {
  try {
    return YAML::Load(o.value);
  } catch (const YAML::Exception& e) {
    throw OverrideError("--set " + o.key() + ": value '" + o.value + "' is not valid YAML: " + e.msg);
  }
}

}  // namespace

void apply_override(sim::HwSource& hw, const Override& o) {
  if (o.path == "base")
    throw OverrideError("--set " + o.key() + ": the base of a hardware file cannot be set (give another --hw file)");
  if (!sim::is_hw_key(o.path)) throw OverrideError("--set " + o.key() + ": no such key in " + hw.files().front());
  hw.set(o.path, parse_value(o), o.origin());
}

sim::HwSource load_hw_source(const std::string& file, const std::vector<Override>& os, bool defaulted) {
  if (defaulted) {
    try {
      sim::check_input_file(file, "hardware");
    } catch (const sim::FileError& e) {
      throw sim::ConfigError(std::string(e.what()) +
                             " (the default --hw, as none was given; pass --hw FILE, e.g. --hw "
                             "NPUSIM_SOURCE/configs/hw/a2a3.yaml)");
    }
  }
  sim::HwSource hw = sim::load_hw_source(file);
  for (const Override& o : os)
    if (o.target == "hw") apply_override(hw, o);
  return hw;
}

std::string default_hw_file() {
  namespace fs = std::filesystem;
  const fs::path f = (fs::path(sim::hw_preset_dir()) / "a2a3.yaml").lexically_normal();
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (ec || !f.is_absolute()) return f.string();
  const fs::path rel = f.lexically_relative(cwd);
  if (rel.empty() || *rel.begin() == "..") return f.string();
  return rel.string();
}

void apply_override(YAML::Node& root, const Override& o, const std::string& file) {
  bool found = false;
  YAML::Node node = find(root, o.path, found);
  if (!found) throw OverrideError("--set " + o.key() + ": no such key in " + file);
  const YAML::Node value = parse_value(o);
  if (value.IsScalar()) {
    node = value.Scalar();  // set_scalar: keeps the node and its mark
    node.SetTag(value.Tag());
  } else if (value.IsNull()) {
    node = YAML::Node(YAML::NodeType::Null);
  } else {
    node = value;
  }
}

std::string explain_workload_error(const std::string& message, const std::string& file,
                                   const std::vector<Override>& os) {
  // FILE:LINE: key.path: message
  if (message.compare(0, file.size() + 1, file + ":") != 0) return message;
  size_t at = file.size() + 1;
  const size_t digits = at;
  while (at < message.size() && std::isdigit(static_cast<unsigned char>(message[at]))) ++at;
  if (at == digits || message.compare(at, 2, ": ") != 0) return message;
  const std::string rest = message.substr(at + 2);
  const std::string path = rest.substr(0, rest.find(": "));
  const Override* hit = nullptr;
  for (const Override& o : os)
    if (o.target == "workload" && at_or_below(path, o.path)) hit = &o;  // the last --set of a key wins
  if (!hit) return message;
  return file + ": " + rest + " (from " + hit->origin() + ")";
}

}  // namespace cli
