// Fuzz `npusim check` and `npusim report`: the input is read as a report, as
// in the CLI, compared both ways against a shipped baseline and against
// itself, with the regression tables printed to a string, and made into the
// HTML page.
#include "tests/fuzz/fuzz_input.h"
#include "tools/cli/check.h"
#include "tools/cli/html_report.h"
#include "tools/cli/report_io.h"

namespace {

void check(const nlohmann::ordered_json& report, const nlohmann::ordered_json& baseline) {
  const cli::check::Result r = cli::check::compare(report, baseline, 0.01);
  cli::check::table(r.grown);
  cli::check::table(r.shrunk);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const nlohmann::ordered_json shipped =
      cli::load_report(NPUSIM_SOURCE_DIR "/tests/baselines/qwen3_32b_decode_reviewed.a2a3.json");
  static fuzz::InputFile file;
  nlohmann::ordered_json report;
  try {
    report = cli::load_report(file.write(data, size));
    check(report, shipped);
    check(shipped, report);
    check(report, report);
    cli::html_report(report, "the report fuzz.json");
  } catch (const isa::InputError&) {
  }
  return 0;
}
