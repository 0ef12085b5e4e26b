#include "tools/cli/pto_input.h"

#include "frontends/pto/pto.h"

namespace po = boost::program_options;

namespace cli {

void add_pto_options(po::options_description& desc) {
  desc.add_options()("launch", po::value<std::string>(),
                     "a launch file (YAML) of kernels in PTO assembly: the .pto files, the GM tensors bound to "
                     "their pointer arguments, the launches (docs/pto_import.md)")(
      "pto", po::value<std::vector<std::string>>()->composing(),
      "FILE.pto: a file of PTO kernels for --launch, in addition to the ones it names; repeatable");
}

bool pto_input(const po::variables_map& vm) {
  if (vm.count("pto") && !vm.count("launch"))
    throw po::error("--pto FILE needs --launch FILE (the tensors and launches of the kernels)");
  if (vm.count("launch") && (vm.count("program") || vm.count("workload")))
    throw po::error("give one of --workload, --program or --launch");
  return vm.count("launch") > 0;
}

workloads::Workload load_pto_program(const po::variables_map& vm, isa::SourceMap& src) {
  std::vector<std::string> extra;
  if (vm.count("pto")) extra = vm["pto"].as<std::vector<std::string>>();
  pto::Imported in = pto::load_launch(vm["launch"].as<std::string>(), extra);
  workloads::Workload w;
  w.program = std::move(in.program);
  src = std::move(in.source);
  return w;
}

}  // namespace cli
