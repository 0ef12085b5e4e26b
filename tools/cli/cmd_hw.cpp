// npusim hw show: a hardware description fully resolved (bases, defaults,
// --set), every key with the value it gets and where that value came from.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "sim/hw_config.h"
#include "tools/cli/cli.h"
#include "tools/cli/overrides.h"

namespace po = boost::program_options;

namespace cli {

namespace {

const char* kHwUsage =
    "usage: npusim hw show [--hw FILE] [--set hw.KEY=VALUE ...]\n"
    "  prints every key of the hardware description as resolved (the file, its bases, the schema's\n"
    "  defaults, the --set edits), each with where its value came from: FILE:LINE, \"default\" or\n"
    "  the --set. The output is itself a valid hardware file.\n"
    "\nExit status: 0 printed; 2 bad input (an option, the file or a base missing or malformed, a bad\n"
    "--set, no subcommand); 3 an internal error (a bug in npusim).\n";

}  // namespace

std::string format_hw_settings(const std::vector<std::string>& files, const std::vector<sim::HwSetting>& settings) {
  // Lines of YAML, nested by the dots of the paths; the origin as a comment.
  std::vector<std::pair<std::string, std::string>> lines;  // text, origin ("" for a map header)
  std::vector<std::string> open;                           // the maps the previous line is in
  for (const sim::HwSetting& s : settings) {
    std::vector<std::string> keys;
    for (size_t at = 0;;) {
      const size_t dot = s.path.find('.', at);
      keys.push_back(s.path.substr(at, dot == std::string::npos ? std::string::npos : dot - at));
      if (dot == std::string::npos) break;
      at = dot + 1;
    }
    size_t same = 0;
    while (same < open.size() && same + 1 < keys.size() && open[same] == keys[same]) ++same;
    open.resize(same);
    for (size_t i = same; i + 1 < keys.size(); ++i) {
      if (i == 0 && !lines.empty()) lines.push_back({"", ""});
      lines.push_back({std::string(2 * i, ' ') + keys[i] + ":", ""});
      open.push_back(keys[i]);
    }
    lines.push_back({std::string(2 * (keys.size() - 1), ' ') + keys.back() + ": " + s.value, s.origin});
  }
  size_t width = 0;
  for (const auto& [text, origin] : lines)
    if (!origin.empty()) width = std::max(width, text.size());
  std::string chain;
  for (const std::string& f : files) chain += (chain.empty() ? "" : " -> base ") + f;
  std::string out = "# " + chain + ", resolved; after each value, where it came from\n";
  for (const auto& [text, origin] : lines) {
    out += text;
    if (!origin.empty()) out += std::string(width - text.size() + 2, ' ') + "# " + origin;
    out += "\n";
  }
  return out;
}

int cmd_hw(const std::vector<std::string>& args) {
  return guarded([&] {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      std::fputs(kHwUsage, args.empty() ? stderr : stdout);
      return args.empty() ? kBadInput : kOk;
    }
    if (args[0] != "show") throw po::error("hw: unknown subcommand '" + args[0] + "' (expected: show)");
    po::options_description desc("npusim hw show options");
    desc.add_options()("help,h", "this help")(
        "hw", po::value<std::string>()->default_value(default_hw_file()),
        "hardware config (YAML); default: configs/hw/a2a3.yaml of npusim's tree, from any directory")(
        "set", po::value<std::vector<std::string>>()->composing(),
        "hw.KEY=VALUE: change a key of the hardware description, as for `npusim run`; repeatable");
    po::variables_map vm;
    po::store(po::command_line_parser(std::vector<std::string>(args.begin() + 1, args.end())).options(desc).run(),
              vm);
    if (vm.count("help")) {
      std::cout << kHwUsage << "\n" << desc;
      return kOk;
    }
    po::notify(vm);
    std::vector<Override> os;
    if (vm.count("set"))
      for (const std::string& s : vm["set"].as<std::vector<std::string>>()) {
        os.push_back(parse_override(s));
        if (os.back().target != "hw") throw po::error("hw show: --set " + os.back().key() + ": only hw.* keys");
      }
    const sim::HwSource hw = load_hw_source(vm["hw"].as<std::string>(), os, vm["hw"].defaulted());
    std::vector<sim::HwSetting> settings;
    hw.resolve(&settings);
    std::cout << format_hw_settings(hw.files(), settings);
    return kOk;
  });
}

}  // namespace cli
