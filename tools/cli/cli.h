// npusim command line: one function per subcommand (tools/cli/*.cpp).
#pragma once

#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include <boost/program_options/errors.hpp>

#include "isa/isa.h"
#include "sim/core_engine.h"
#include "sim/hw_config.h"
#include "tools/cli/overrides.h"
#include "tools/cli/sweep.h"
#include "workloads/workload.h"

namespace cli {

// Exit codes shared by every subcommand.
constexpr int kOk = 0;
constexpr int kRegression = 1;  // `check` found a regression; `run --check` mismatch; `sweep --collect`: points missing
constexpr int kBadInput = 2;    // config, workload, program, file or usage error (isa::InputError)
constexpr int kInternal = 3;    // a bug in npusim: anything that is not bad input

// Runs `body`. Bad input (isa::InputError, a bad option) is a message on
// stderr and exit code 2; anything else escaping is a bug in npusim, said as
// such, with exit code 3.
template <typename F>
int guarded(F body) {
  try {
    return body();
  } catch (const boost::program_options::error& e) {
    std::fprintf(stderr, "npusim: %s\n", e.what());
  } catch (const OverrideError& e) {
    std::fprintf(stderr, "npusim: %s\n", e.what());
  } catch (const sweep::SweepError& e) {
    std::fprintf(stderr, "npusim: sweep error: %s\n", e.what());
  } catch (const sim::ConfigError& e) {
    std::fprintf(stderr, "npusim: config error: %s\n", e.what());
  } catch (const workloads::WorkloadError& e) {
    std::fprintf(stderr, "npusim: workload error: %s\n", e.what());
  } catch (const isa::ProgramError& e) {
    std::fprintf(stderr, "npusim: program error: %s\n", e.what());
  } catch (const sim::SimError& e) {
    std::fprintf(stderr, "npusim: simulation error: %s\n", e.what());
  } catch (const isa::InputError& e) {
    std::fprintf(stderr, "npusim: error: %s\n", e.what());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "npusim: internal error: out of memory although the input passed the size checks; "
                         "this is a bug in npusim, please report it with the command line\n");
    return kInternal;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "npusim: internal error: %s\nthis is a bug in npusim, please report it with the command line\n",
                 e.what());
    return kInternal;
  }
  return kBadInput;
}

int cmd_run(const std::vector<std::string>& args);
int cmd_disasm(const std::vector<std::string>& args);
int cmd_bench(const std::vector<std::string>& args);
int cmd_compare(const std::vector<std::string>& args);
int cmd_sweep(const std::vector<std::string>& args);
int cmd_check(const std::vector<std::string>& args);
int cmd_report(const std::vector<std::string>& args);
int cmd_report_keys(const std::vector<std::string>& args);
int cmd_hw(const std::vector<std::string>& args);

// `npusim hw show`'s output: the settings as a YAML file with each value's
// origin as a comment, under a header naming `files` (the file and its bases).
std::string format_hw_settings(const std::vector<std::string>& files, const std::vector<sim::HwSetting>& settings);

}  // namespace cli
