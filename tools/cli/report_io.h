// Reading report JSON files written by `npusim run --report`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cli {

// The keys of the registry's summed counters (sim/counters.h), in report
// order: the numbers of "totals" and of each kernel.
const std::vector<std::string>& report_counter_keys();

// Parse a report; throws isa::InputError naming the file when it cannot be
// read (missing, a directory), is not JSON, or is not shaped like a report
// (see validate_report).
nlohmann::ordered_json load_report(const std::string& path);
// The same for a report's text; `name` says where it came from in messages.
nlohmann::ordered_json parse_report(const std::string& text, const std::string& name);

// Throws isa::InputError "FILE: JSON.PATH: what is wrong" unless `r` has what
// `check`, `compare` and `sweep` read, with the right types:
// - an object with the numbers total_cycles and total_us, the object
//   roofline with the number ratio (and bound_cycles, gm_bound_cycles,
//   cube_bound_cycles numbers when present), the object totals and the array kernels;
// - totals and kernels[i] (an object with a string name; no two kernels
//   share one): every counter of the registry (sim/counters.h) that `check`
//   compares (kGated: launches, dma_count, dma_bytes) is a required number;
//   the other summed counters are numbers when present, a histogram an
//   object of numbers when present (reports of older versions lack the
//   counters added since).
// - provenance, when present (reports before it lack it): an object whose
//   npusim and commit are strings, hw, workload, program and each of
//   hw_bases objects with string path and fnv1a64, set an array of strings,
//   seed a number; other keys are not looked at.
// - hw and workload strings, clock_ghz a number, when present; critical_path,
//   when present: an object with the number tasks, the numbers
//   first_dispatch_cycles and waited_for.* when present, and the array kernels
//   of {name string, tasks, cycles}; sites, when present: an array of
//   {kernel, site, op strings, count} whose bytes, busy_cycles, busy_share,
//   launch_overhead_cycles and L2 counters are numbers when present (what the
//   HTML report reads).
// Every number must be >= 0. E.g. "base.json: kernels[3].dma_count: expected
// a number, got a string".
void validate_report(const nlohmann::ordered_json& r, const std::string& file);

// Bytes of a DMA size histogram's bucket label ("<=128B", "<=4KiB",
// "<=1MiB"), to sort buckets by; an unknown label sorts last.
double histogram_bucket_bytes(const std::string& label);

// A short column label for a report file: its name without directory and ".json".
std::string report_label(const std::string& path);

}  // namespace cli
