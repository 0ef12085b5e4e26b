// npusim: the command line. `npusim <command> --help` describes each command.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <systemc>

#include "tools/cli/cli.h"
#include "tools/cli/provenance.h"

namespace {
const char* kUsage =
    "usage: npusim <command> [options]\n"
    "commands:\n"
    "  run      simulate a workload or a text program; print the report\n"
    "  disasm   print a workload's program in the text format\n"
    "  compare  reports side by side with changes: npusim compare A.json B.json [...]\n"
    "  bench    simulation speed on a synthetic program (instructions per second)\n"
    "  sweep    run a sweep file's points in parallel into a CSV: npusim sweep SWEEP.yaml -j N -o results.csv\n"
    "           [--resume]; or --emit-jobs DIR (GNU parallel / Slurm) and --collect DIR -o results.csv\n"
    "  check    regression gate: npusim check REPORT.json --baseline BASE.json [--tolerance 1%] [--update]\n"
    "  report   the HTML page of a report: npusim report REPORT.json -o report.html\n"
    "  report-keys  the report's counters: key, unit, aggregation, meaning [--markdown]\n"
    "  hw show  the hardware description resolved (bases, defaults, --set), each value with its origin:\n"
    "           npusim hw show --hw FILE [--set hw.KEY=VALUE ...]\n"
    "Run `npusim <command> --help` for what a command does, its options and its exit status; `npusim\n"
    "--version` for the version and commit.\n"
    "Exit status: 0 done; 1 a result that fails (check: a regression; run --check: a mismatch; sweep\n"
    "--collect: points missing); 2 bad input (named with its file and line or key); 3 an internal\n"
    "error (a bug in npusim).\n";
}

namespace {
int dispatch(int argc, char** argv);
}

// Called by sc_elab_and_sim (declared extern "C" in <systemc>). Whatever a
// command printed must have reached standard output: `npusim disasm >
// /dev/full` is an error, not a silent success.
extern "C" int sc_main(int argc, char** argv) {
  const int rc = dispatch(argc, argv);
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "npusim: cannot write standard output: %s\n", std::strerror(errno));
    return rc == cli::kOk ? cli::kBadInput : rc;
  }
  return rc;
}

namespace {
int dispatch(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return cli::kBadInput;
  }
  const std::string cmd = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "run") return cli::cmd_run(args);
  if (cmd == "disasm") return cli::cmd_disasm(args);
  if (cmd == "bench") return cli::cmd_bench(args);
  if (cmd == "compare") return cli::cmd_compare(args);
  if (cmd == "sweep") return cli::cmd_sweep(args);
  if (cmd == "check") return cli::cmd_check(args);
  if (cmd == "report") return cli::cmd_report(args);
  if (cmd == "report-keys") return cli::cmd_report_keys(args);
  if (cmd == "hw") return cli::cmd_hw(args);
  if (cmd == "--version" || cmd == "-V") {
    std::printf("npusim %s (commit %s)\n", cli::npusim_version(), cli::npusim_commit());
    return cli::kOk;
  }
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return cli::kOk;
  }
  std::fprintf(stderr, "npusim: unknown command '%s'\n%s", cmd.c_str(), kUsage);
  return cli::kBadInput;
}
}  // namespace

// Our own main() (it takes precedence over libsystemc's) so the SystemC
// banner is switched off before the kernel prints it.
int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}
