// The HTML report (`npusim run --html FILE`, `npusim report R.json -o FILE`):
// one self-contained page made from a JSON report. Plain C++ on the report's
// JSON: no SystemC, no simulator.
//
// The page has no script and fetches nothing (its Content-Security-Policy
// allows only its own inline style and data: images): the charts are inline
// SVG written here. Sections, in order: the summary (total time, the critical
// path's longest kernels, the roofline, the totals, the provenance), the time
// per kernel (a bar per kernel of its task cycles, and the kernel table of
// `npusim run`'s summary), the critical path (a bar per kernel of its cycles on
// the path), the DMA size histograms (the whole run's, then each kernel's),
// and the costs per source site (a table per kernel). Every string taken from
// the report is escaped for HTML.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace cli {

// `s` with & < > " ' replaced by character references: safe as element text
// and as a quoted attribute value.
std::string html_escape(std::string_view s);

// The page for report `r`, which validate_report accepted (sections a report
// of an older npusim lacks say so). `source` says what the page was made from,
// in its footer: "the report r.json", "the run of configs/workloads/gemm.yaml".
std::string html_report(const nlohmann::ordered_json& r, const std::string& source);

}  // namespace cli
