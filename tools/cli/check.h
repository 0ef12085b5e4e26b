// `npusim check REPORT.json --baseline BASE.json`: the comparison, as plain
// functions (cmd_check.cpp is the command around them).
#pragma once

#include <string>
#include <vector>

#include "isa/error.h"

#include <nlohmann/json.hpp>

namespace cli::check {

// One compared number: total_cycles or a gated counter (launches, dma_count,
// dma_bytes), of the whole run (kernel "") or of one kernel.
struct Metric {
  std::string name;
  std::string kernel;  // "" = the totals
  double baseline = 0;
  double now = 0;
  // (now - baseline) / baseline; +inf when the baseline is 0 and now is not.
  double change() const;
};

struct Result {
  std::vector<Metric> compared;  // every metric looked at
  std::vector<Metric> grown;     // now > baseline * (1 + tolerance)
  std::vector<Metric> shrunk;    // now < baseline * (1 - tolerance)
};

// Totals: total_cycles and each counter the registry gates (sim/counters.h,
// kGated: launches, dma_count, dma_bytes). Per kernel (by name): the gated
// counters. A kernel of the
// baseline missing from the report is not compared; one new in the report is
// compared against 0 (so any launch or DMA of it is growth).
// `tolerance` is a fraction (0.01 = 1%).
Result compare(const nlohmann::ordered_json& report, const nlohmann::ordered_json& baseline, double tolerance);

// "1%", "0.5%", "1" (percent; the sign is optional) -> 0.01, 0.005, 0.01.
// Throws isa::InputError for anything else or a negative value.
double parse_tolerance(const std::string& text);

// A table: metric, kernel, baseline, now, change.
std::string table(const std::vector<Metric>& rows);

}  // namespace cli::check
