// `npusim run/disasm --launch FILE [--pto FILE ...]`: kernels in PTO assembly
// (frontends/pto, docs/pto_import.md) as the program to run.
#pragma once

#include <boost/program_options.hpp>

#include "isa/text.h"
#include "workloads/workload.h"

namespace cli {

// Adds --pto and --launch to a command's options.
void add_pto_options(boost::program_options::options_description& desc);

// Whether --launch (or --pto) was given; --pto without --launch is an error.
bool pto_input(const boost::program_options::variables_map& vm);

// The imported program (validated, dependencies derived) and its source map.
workloads::Workload load_pto_program(const boost::program_options::variables_map& vm, isa::SourceMap& src);

}  // namespace cli
