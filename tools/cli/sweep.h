// `npusim sweep`: the plain parts (no processes) — the sweep file, its points,
// the child command of a point, and the results CSV (rows, resume, collect).
//
// A sweep file:
//   hw: configs/hw/a2a3.yaml          # base files, relative to the working directory
//   workload: configs/workloads/gemm.yaml
//   axes:                             # each axis one dimension of the product
//     workload.tiling.tile_k: [128, 256]
//     hw.gm.bandwidth_gbps: [800, 1600]
//   zip:                              # optional; each group one dimension whose
//     - hw.scheduler.dispatch_cycles: [1850, 5550]   # keys move together
//       hw.scheduler.launch_cycles: [185, 555]
//   timeout: 600                      # optional: seconds a point may run
// An axis key is hw.<path> or workload.<path> (see overrides.h), or `hw` /
// `workload` alone to sweep the base file itself.
#pragma once

#include <cstddef>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "isa/error.h"

namespace cli::sweep {

// A bad sweep file: "FILE:LINE: key: message".
struct SweepError : isa::InputError {
  using isa::InputError::InputError;
};

// One dimension of the product: a single axis, or a zip group.
struct Dimension {
  std::vector<std::string> keys;                // column names: "workload.tiling.tile_k"
  std::vector<int> lines;                       // 1-based line of each key
  std::vector<std::string> where;               // "axes" or "zip[2]", for messages
  std::vector<std::vector<std::string>> steps;  // steps[i][k]: value of keys[k] at step i (YAML text)
};

struct Spec {
  std::string file;
  std::string hw, workload;  // base files ("" when swept by an axis of that name)
  std::vector<Dimension> dims;
  double timeout = 0;  // seconds a point may run (timeout:); 0 = no limit
  std::vector<std::string> columns() const;  // every key, dimension by dimension
};

// A point: its index in the expansion and a value per Spec::columns().
struct Point {
  size_t index = 0;
  std::vector<std::string> values;
};

// Parse and check a sweep file (structure only; check_keys looks at the base
// files). Throws SweepError.
Spec parse_spec(const std::string& yaml_text, const std::string& file);
// The same for a file; one that cannot be read is sim::FileError "cannot read
// sweep file PATH: REASON".
Spec load_spec(const std::string& path);
// Each workload.* key must exist in the base file, or when that file is
// swept, in at least one of the swept files (points where it does not fail
// alone); each hw.* key must be a key of the hardware schema (the file may
// inherit it from its base or leave it to its default). Throws SweepError, or
// the loader's error for an unreadable base file (or a bad `base:` chain).
void check_keys(const Spec& spec);

// The cartesian product, first dimension outermost; index = position.
std::vector<Point> expand(const Spec& spec);

// The arguments after the binary that simulate a point and write `report`:
// run --hw H --workload W --set KEY=VALUE ... --report REPORT -q
std::vector<std::string> run_args(const Spec& spec, const Point& p, const std::string& report);

// Canonical text of an axis value as written in the CSV and passed to --set
// (a plain scalar as written; quoted and flow values in YAML syntax).
// Declared here for tests.
std::string value_text(const std::string& yaml);

// --- the results CSV ---------------------------------------------------------

// Columns after the axes: status, error, total_cycles, total_us, every summed
// counter of the registry (sim/counters.h: the numbers of `totals`), roofline_ratio.
const std::vector<std::string>& metric_columns();
// point, the axis columns, the metric columns.
std::vector<std::string> csv_header(const std::vector<std::string>& axis_columns);

// One CSV line (RFC 4180 quoting where needed), ending in "\n".
std::string csv_line(const std::vector<std::string>& fields);
// Split one line (without its "\n"); throws isa::InputError on a bad quote.
std::vector<std::string> parse_csv_line(const std::string& line);

// A child's stderr as a one-line message: "npusim: " prefixes dropped, lines
// joined with " | ".
std::string one_line(const std::string& text);

// The row of a finished point: from its report (status ok), or from an error
// message (status error, metrics empty).
std::vector<std::string> ok_row(const Point& p, const nlohmann::ordered_json& report);
std::vector<std::string> error_row(const Point& p, const std::string& message);

// An existing results CSV, for --resume.
struct Existing {
  std::set<std::vector<std::string>> done;  // axis values of every row
  size_t rows = 0;
  size_t keep_bytes = 0;        // length of the whole lines (header and rows)
  bool partial_line = false;    // the text ended in a line without "\n" (dropped)
  bool has_header = false;
};
// `text` is the file's content; `header` the one this sweep writes. An empty
// file (or only a partial header) has no header. Throws isa::InputError
// "FILE:LINE: ..." on a different header or a row with the wrong field count.
Existing read_existing(const std::string& text, const std::string& file, const std::vector<std::string>& header);
// For --retry-failed: the whole lines of `text` (a CSV with this sweep's
// header) without the error rows of `points` (rows of points not in this
// sweep are kept: they would not run again). `dropped` gets how many rows went.
std::string drop_failed(const std::string& text, const std::vector<std::string>& header,
                        const std::vector<Point>& points, size_t& dropped);

// --- emit-jobs / collect -----------------------------------------------------

// A POSIX shell word: as is when safe, else in single quotes.
std::string shell_quote(const std::string& word);
// One line of jobs.txt: runs the point, leaving DIR/results/point-N.json, or
// point-N.err with the error message on failure.
std::string job_line(const std::string& bin, const Spec& spec, const Point& p, const std::string& dir);

// The rows of emitted points from DIR/points.csv and DIR/results/, sorted by
// point; `missing` gets the points with neither file.
struct Collected {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> missing;
  size_t failed = 0;
};
Collected collect(const std::string& dir);

}  // namespace cli::sweep
