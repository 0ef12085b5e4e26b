// Reading a YAML mapping of an input file with errors that name the file,
// the line and the key path ("FILE:LINE: PATH: MSG"), and rejecting the keys
// that nobody read. Shared by the workload files (workloads/) and the PTO
// launch files (frontends/pto/), each with its own error type. Header only:
// whoever includes it links yaml-cpp; the ISA library itself does not.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <set>
#include <string>
#include <utility>

namespace isa {

// The 1-based line of `n`, or `fallback` where it has none (absent or null).
inline int yaml_line(const YAML::Node& n, int fallback) {
  if (!n.IsDefined() || n.IsNull()) return fallback;
  const int l = n.Mark().line;
  return l >= 0 ? l + 1 : fallback;
}

// How an unknown key is reported: with the keys that were read
// ("unknown key (expected one of: a, b)") or without.
enum class UnknownKeys { ListExpected, NameOnly };

// A YAML mapping being read: remembers which keys were used so the rest can
// be rejected as unknown. `Error` is what fail() throws (constructed from the
// message).
template <class Error>
class YamlMap {
 public:
  YamlMap(std::string file, const YAML::Node& node, std::string path, int parent_line)
      : file_(std::move(file)), node_(node), path_(std::move(path)), line_(yaml_line(node, parent_line)) {
    if (!node_.IsDefined() || !node_.IsMap())
      fail(line_, path_,
           node_.IsDefined() && !node_.IsNull() ? "expected a mapping" : "expected a mapping, got nothing");
    // YAML parsers keep both of a key given twice, and a lookup finds the
    // first: the second would be ignored without a word.
    std::set<std::string> keys;
    for (auto it = node_.begin(); it != node_.end(); ++it)
      if (it->first.IsScalar() && !keys.insert(it->first.Scalar()).second)
        fail(yaml_line(it->first, line_), key_path(it->first.Scalar()), "duplicate key");
  }

  // "FILE:LINE: PATH: MSG" (the top of the file has no PATH).
  [[noreturn]] void fail(int line, const std::string& path, const std::string& msg) const {
    throw Error(file_ + ":" + std::to_string(line) + ": " + (path.empty() ? "" : path + ": ") + msg);
  }
  std::string key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  int line() const { return line_; }
  const std::string& file() const { return file_; }

  bool has(const std::string& key) const { return bool(node_[key]); }
  // A required key.
  YAML::Node get(const std::string& key) {
    known_.insert(key);
    YAML::Node n = node_[key];
    if (!n) fail(line_, key_path(key), "missing (required)");
    return n;
  }
  // An optional key: the node, which converts to false when the key is absent.
  YAML::Node opt(const std::string& key) {
    known_.insert(key);
    return node_[key];
  }
  void allow(const std::string& key) { known_.insert(key); }
  int line_of_key(const std::string& key) const { return yaml_line(node_[key], line_); }

  // `n` (the value of `key`, or an element of it) as an integer or a string.
  int64_t to_int(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(yaml_line(n, line_), key_path(key), "expected an integer");
    try {
      return n.as<int64_t>();
    } catch (const YAML::Exception&) {
      fail(yaml_line(n, line_), key_path(key), "expected an integer, got '" + n.Scalar() + "'");
    }
  }
  std::string to_str(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(yaml_line(n, line_), key_path(key), "expected a string");
    return n.Scalar();
  }

  // Rejects the keys not read (or allowed).
  void finish(UnknownKeys how = UnknownKeys::ListExpected) const {
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      const std::string k = it->first.Scalar();
      if (known_.count(k)) continue;
      std::string msg = "unknown key";
      if (how == UnknownKeys::ListExpected) {
        std::string expected;
        for (const std::string& x : known_) expected += (expected.empty() ? "" : ", ") + x;
        msg += " (expected one of: " + expected + ")";
      }
      fail(yaml_line(it->first, line_), key_path(k), msg);
    }
  }

 protected:
  const YAML::Node& node() const { return node_; }
  void mark_known(const std::string& key) { known_.insert(key); }

 private:
  std::string file_;
  YAML::Node node_;
  std::string path_;
  int line_;
  std::set<std::string> known_;
};

}  // namespace isa
