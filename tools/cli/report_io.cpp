#include "tools/cli/report_io.h"
#include "isa/error.h"

#include <fstream>
#include <stdexcept>

namespace cli {

namespace {

template <typename Input>
nlohmann::ordered_json parse(Input&& in, const std::string& name) {
  nlohmann::ordered_json r;
  try {
    r = nlohmann::ordered_json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw isa::InputError(name + ": not a JSON report: " + e.what());
  }
  for (const char* key : {"total_cycles", "total_us", "totals", "kernels", "roofline"})
    if (!r.contains(key)) throw isa::InputError(name + ": not an npusim report (no '" + key + "' key)");
  return r;
}

}  // namespace

nlohmann::ordered_json load_report(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw isa::InputError("cannot open report '" + path + "'");
  return parse(in, path);
}

nlohmann::ordered_json parse_report(const std::string& text, const std::string& name) { return parse(text, name); }

std::string report_label(const std::string& path) {
  std::string s = path.substr(path.find_last_of('/') + 1);
  if (s.size() > 5 && s.compare(s.size() - 5, 5, ".json") == 0) s.resize(s.size() - 5);
  return s;
}

}  // namespace cli
