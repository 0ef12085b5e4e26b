#include "tools/cli/report_io.h"
#include "isa/error.h"
#include "sim/file_io.h"

#include <stdexcept>

namespace cli {

nlohmann::ordered_json load_report(const std::string& path) {
  const std::string text = sim::read_file(path, "report");
  nlohmann::ordered_json r;
  try {
    r = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw isa::InputError(path + ": not a JSON report: " + e.what());
  }
  for (const char* key : {"total_cycles", "total_us", "totals", "kernels", "roofline"})
    if (!r.contains(key)) throw isa::InputError(path + ": not an npusim report (no '" + key + "' key)");
  return r;
}

std::string report_label(const std::string& path) {
  std::string s = path.substr(path.find_last_of('/') + 1);
  if (s.size() > 5 && s.compare(s.size() - 5, 5, ".json") == 0) s.resize(s.size() - 5);
  return s;
}

}  // namespace cli
