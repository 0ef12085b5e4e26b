// Reading report JSON files written by `npusim run --report`.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cli {

// Parse a report; throws isa::InputError naming the file when it cannot be
// read, is not JSON, or lacks the report keys.
nlohmann::ordered_json load_report(const std::string& path);
// The same for a report's text; `name` says where it came from in messages.
nlohmann::ordered_json parse_report(const std::string& text, const std::string& name);
// A short column label for a report file: its name without directory and ".json".
std::string report_label(const std::string& path);

}  // namespace cli
