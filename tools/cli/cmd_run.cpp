// npusim run / disasm: load a hardware config and a program, simulate, report.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <memory>

#include <boost/program_options.hpp>
#include <yaml-cpp/yaml.h>

#include "isa/text.h"
#include "isa/validate.h"
#include "sim/core_engine.h"
#include "sim/file_io.h"
#include "sim/functional.h"
#include "sim/npu.h"
#include "sim/npy.h"
#include "sim/stats.h"
#include "tools/cli/cli.h"
#include "tools/cli/functional.h"
#include "tools/cli/html_report.h"
#include "tools/cli/outputs.h"
#include "tools/cli/overrides.h"
#include "tools/cli/provenance.h"
#include "tools/cli/pto_input.h"
#include "workloads/builder.h"
#include "workloads/workload.h"

namespace po = boost::program_options;

namespace cli {

namespace {

// Parse `args` against `desc`; prints help and returns false on --help.
bool parse(const std::vector<std::string>& args, const po::options_description& desc, po::variables_map& vm,
           const char* usage) {
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << usage << "\n" << desc;
    return false;
  }
  po::notify(vm);
  return true;
}

std::vector<Override> overrides(const po::variables_map& vm) {
  std::vector<Override> os;
  if (vm.count("set"))
    for (const std::string& s : vm["set"].as<std::vector<std::string>>()) os.push_back(parse_override(s));
  return os;
}

bool any_for(const std::vector<Override>& os, const char* target) {
  for (const Override& o : os)
    if (o.target == target) return true;
  return false;
}

// What a workload generator may assume of `hw`'s core group.
workloads::Target target_of(const sim::HwConfig& hw) {
  workloads::Target t;
  t.name = hw.name;
  t.l1 = hw.buffers.l1;
  t.l0a = hw.buffers.l0a;
  t.l0b = hw.buffers.l0b;
  t.l0c = hw.buffers.l0c;
  t.ub = hw.buffers.ub;
  t.vector_cores = hw.vector_cores;
  t.l0c_to_ub = hw.dma.l0c_to_ub_path;
  t.ub_to_l1 = hw.dma.ub_to_l1_path;
  return t;
}

workloads::Workload load_workload(const std::string& path, const std::vector<Override>& os,
                                  const workloads::Target& target) {
  if (!any_for(os, "workload")) return workloads::load_workload_file(path, target);
  YAML::Node doc = workloads::read_workload_yaml(path);
  for (const Override& o : os)
    if (o.target == "workload") apply_override(doc, o, path);
  try {
    return workloads::load_workload(doc, path, target);
  } catch (const workloads::WorkloadError& e) {
    throw workloads::WorkloadError(explain_workload_error(e.what(), path, os));
  }
}

// The program of --workload (with its reference check) or --program (none;
// its source lines in `src`, for the run's messages).
workloads::Workload load_program(const po::variables_map& vm, const std::vector<Override>& os,
                                 const workloads::Target& target, isa::SourceMap& src) {
  if (pto_input(vm)) {  // kernels in PTO assembly: imported, validated, deps derived
    if (any_for(os, "workload")) throw po::error("--set workload.* needs --workload (a launch has no workload keys)");
    return load_pto_program(vm, src);
  }
  if (vm.count("program") && vm.count("workload"))
    throw po::error("give either --workload or --program, not both");
  if (vm.count("program") && any_for(os, "workload"))
    throw po::error("--set workload.* needs --workload (a text program has no workload keys)");
  workloads::Workload w;
  if (vm.count("program"))
    w.program = isa::parse_program(sim::read_file(vm["program"].as<std::string>(), "program"),
                                   vm["program"].as<std::string>(), &src);
  else
    w = load_workload(vm["workload"].as<std::string>(), os, target);
  // Checks, among the rest, that each task's reads/writes cover what its
  // instructions touch; a text program's dependencies are then derived from
  // them (its deps=[...] are kept). A generated program's were derived by
  // ProgramBuilder::finish from the same ranges: deriving again would change
  // nothing (the result is sorted and unique), so it is not repeated.
  isa::validate_program(w.program, vm.count("program") ? &src : nullptr);
  if (vm.count("program")) isa::derive_task_deps(w.program);
  return w;
}

// What the report was made from (its "provenance").
ProvenanceInputs provenance_inputs(const po::variables_map& vm, const sim::HwSource& hw, bool functional) {
  ProvenanceInputs in;
  in.hw_files = hw.files();
  in.input_kind = vm.count("workload") ? "workload" : vm.count("launch") ? "launch" : "program";
  in.input_path = vm[in.input_kind].as<std::string>();
  if (vm.count("set")) in.overrides = vm["set"].as<std::vector<std::string>>();
  in.functional = functional;
  in.seed = vm["seed"].as<uint64_t>();
  if (vm.count("inputs")) in.inputs_dir = vm["inputs"].as<std::string>();
  return in;
}

// --trace-detail and --trace-window (README "The trace").
sim::TraceFilter trace_filter(const po::variables_map& vm) {
  sim::TraceFilter f;
  for (const char* o : {"trace-detail", "trace-window"})
    if (vm.count(o) && !vm.count("trace")) throw po::error(std::string("--") + o + " needs --trace FILE");
  if (vm.count("trace-detail")) {
    const std::string d = vm["trace-detail"].as<std::string>();
    if (d == "tasks") {
      f.detail = sim::TraceFilter::Detail::Tasks;
    } else if (d == "pipes") {
      f.detail = sim::TraceFilter::Detail::Pipes;
    } else if (d != "all") {
      throw po::error("--trace-detail '" + d + "': expected tasks, pipes or all");
    }
  }
  if (vm.count("trace-window")) {
    const std::string w = vm["trace-window"].as<std::string>();
    auto bad = [&](const std::string& why) {
      return po::error("--trace-window '" + w + "': " + why +
                       "; expected START_US:END_US in us of simulated time, e.g. 100:250.5 (an empty side: "
                       "from the start, to the end)");
    };
    const size_t colon = w.find(':');
    if (colon == std::string::npos) throw bad("no ':'");
    auto bound = [&](const std::string& v, double empty) {
      if (v.empty()) return empty;
      char* end = nullptr;
      const double us = std::strtod(v.c_str(), &end);
      if (end != v.c_str() + v.size() || !std::isfinite(us)) throw bad("'" + v + "' is not a number");
      if (us < 0) throw bad(v + " is negative");
      return us;
    };
    f.from_us = bound(w.substr(0, colon), 0);
    f.to_us = bound(w.substr(colon + 1), std::numeric_limits<double>::infinity());
    if (!(f.from_us < f.to_us)) throw bad("the start is not before the end");
  }
  return f;
}

// "[4096, 4096, ... 16 values]": the start of a list of values for messages.
std::string head_of(const std::vector<int32_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size() && i < 8; ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  if (v.size() > 8) s += ", ... " + std::to_string(v.size()) + " values";
  return s + "]";
}

}  // namespace

int cmd_run(const std::vector<std::string>& args) {
  return guarded([&] {
    po::options_description desc("npusim run options");
    desc.add_options()("help,h", "this help")(
        "hw", po::value<std::string>()->default_value(default_hw_file()),
        "hardware config (YAML); default: configs/hw/a2a3.yaml of npusim's tree, from any directory")(
        "workload", po::value<std::string>(), "workload description (configs/workloads/*.yaml)")(
        "program", po::value<std::string>(), "a program in the text format (see `npusim disasm`)")(
        "report", po::value<std::string>(), "write the JSON report to this file")(
        "html", po::value<std::string>(),
        "write the report as one self-contained HTML page to this file (charts and tables; see `npusim report`)")(
        "trace", po::value<std::string>(),
        "write a Chrome/Perfetto trace to this file (gzip-compressed when it ends in .gz)")(
        "trace-detail", po::value<std::string>(),
        "tasks|pipes|all: what the trace records: tasks (the scheduler's dispatches and completions, a bar per "
        "task), pipes (a bar per instruction on its pipe) or all (the default)")(
        "trace-window", po::value<std::string>(),
        "START_US:END_US: record only the trace events that overlap this span of simulated time, in us (either "
        "side may be empty: from the start, to the end)")(
        "set", po::value<std::vector<std::string>>()->composing(),
        "KEY=VALUE: change a key of the hw or workload YAML before it is validated; KEY is hw.<path> or "
        "workload.<path> (dots between map keys, e.g. hw.gm.bandwidth_gbps=800); VALUE is YAML; repeatable")(
        "quiet,q", "do not print the summary")(
        "functional", "also compute the data: execute every instruction's numerics on GM/buffer contents")(
        "inputs", po::value<std::string>(),
        "functional: read input tensors from DIR/NAME.npy (missing ones are generated); implies --functional")(
        "seed", po::value<uint64_t>()->default_value(1), "functional: seed of the generated inputs")(
        "dump", po::value<std::string>(), "functional: write every tensor to DIR/NAME.npy after the run")(
        "check", "functional: judge the run with the workload's reference check (a Qwen3 decode layer: its "
                 "reference, rtol = atol = 3e-3); exit 1 on mismatch")(
        "check-with", po::value<std::string>(),
        "functional: --check with the reference of this workload file (for a --program edited from its disasm)")(
        "max-cycles", po::value<uint64_t>()->default_value(sim::RunOptions::kDefaultMaxCycles),
        "stop with an error if simulated time would pass this cycle (a runaway run); at most 2^53")(
        "max-memory-gib", po::value<double>()->default_value(8),
        "refuse, before allocating, a program (instructions and tasks) or a functional run (tensors and "
        "buffers) estimated to need more memory than this");
    add_pto_options(desc);
    po::variables_map vm;
    if (!parse(args, desc, vm,
               "usage: npusim run --workload FILE|--program FILE [--hw FILE] [--set KEY=VALUE ...] [options]\n"
               "       npusim run --launch FILE [--pto FILE.pto ...] [--hw FILE] [options]   (PTO kernels)\n"
               "Simulates a workload (a description of configs/workloads/, generated into a tile program for\n"
               "the hardware) or a program in the text format (docs/text_format.md) on a hardware description\n"
               "(configs/hw/), and prints the summary: total cycles and us, the critical path, the roofline,\n"
               "the totals and a row per kernel. --report writes the same as JSON, --html as one HTML page,\n"
               "--trace a Chrome/Perfetto trace; these paths are tried before the run. --functional also\n"
               "computes the data (--inputs, --dump, --check below); --check prints a line per checked tensor.\n"
               "\nExit status: 0 done; 1 --check found a mismatch; 2 bad input (an option, a file missing or\n"
               "malformed, a program the hardware cannot run, an output that cannot be written, --max-cycles\n"
               "or --max-memory-gib passed); 3 an internal error (a bug in npusim).\n"))
      return kOk;
    if (!vm.count("workload") && !vm.count("program") && !vm.count("launch"))
      throw po::error("give --workload FILE, --program FILE or --launch FILE");
    const sim::TraceFilter filter = trace_filter(vm);
    // An output that cannot be written is an error now, not after the run.
    for (const char* flag : {"report", "html", "trace"})
      if (vm.count(flag)) check_output_file(std::string("--") + flag, vm[flag].as<std::string>());
    if (vm.count("dump")) check_output_dir("--dump", vm["dump"].as<std::string>());
    const std::vector<Override> os = overrides(vm);
    const sim::HwSource hw_source = load_hw_source(vm["hw"].as<std::string>(), os, vm["hw"].defaulted());
    const sim::HwConfig hw = hw_source.resolve();
    const double max_gib = vm["max-memory-gib"].as<double>();
    if (!(max_gib > 0 && max_gib <= 1 << 20)) throw po::error("--max-memory-gib: expected a number in (0, 1048576]");
    const uint64_t max_bytes = uint64_t(max_gib * double(uint64_t(1) << 30));
    workloads::set_program_memory_limit(max_bytes);
    isa::SourceMap src;
    const auto prepare_start = std::chrono::steady_clock::now();
    workloads::Workload w = load_program(vm, os, target_of(hw), src);
    const double prepare_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - prepare_start).count();
    const isa::Program& p = w.program;
    sim::RunOptions opts;
    if (vm.count("program") || vm.count("launch")) opts.source = &src;
    if (vm.count("trace")) opts.trace_path = vm["trace"].as<std::string>();
    opts.trace_filter = filter;
    opts.max_cycles = vm["max-cycles"].as<uint64_t>();
    opts.sections = w.sections;
    opts.context_mean = w.context_mean;
    opts.steps = w.steps;
    opts.tokens_per_step = w.tokens_per_step;
    if (w.next_step)  // each step checked as the first was (load_program)
      opts.next_step = [&w](uint32_t step) {
        isa::DecodeStep d = w.next_step(step);
        isa::validate_program(d.program);
        // The first step's program is not read again (sim::RunOptions::next_step).
        if (step == 1) w.program = isa::Program();
        return d;
      };
    if (w.steps > 1 && !vm.count("quiet")) {
      std::printf("decode: %u steps, each generated when the one before has ended\n", w.steps);
      std::fflush(stdout);
      opts.on_step = [n = w.steps](uint32_t step, double tpot_us) {
        std::fprintf(stderr, "decode step %u/%u: %.1f us\n", step + 1, n, tpot_us);
      };
    }
    const bool check = vm.count("check") || vm.count("check-with");
    if (vm.count("check-with"))  // the reference of that workload (its program is not run)
      w.check = workloads::load_workload_check(vm["check-with"].as<std::string>());
    const bool functional = vm.count("functional") || vm.count("inputs") || vm.count("dump") || check;
    if (functional && w.steps > 1)
      throw isa::InputError("functional mode runs one decode step; the workload asks for decode_steps: " +
                            std::to_string(w.steps) + " (--set workload.decode_steps=1)");
    std::unique_ptr<sim::FunctionalState> state;
    if (functional) {
      const uint64_t need = sim::FunctionalState::memory_bytes(p, hw);
      if (need > max_bytes)
        throw isa::InputError("functional mode would need about " + std::to_string(need >> 20) +
                              " MiB for the program's tensors and the local buffers, more than the " +
                              std::to_string(max_bytes >> 20) + " MiB of --max-memory-gib");
      state = std::make_unique<sim::FunctionalState>(p, hw);
      const std::string dir = vm.count("inputs") ? vm["inputs"].as<std::string>() : "";
      const sim::InputsReport in = sim::load_inputs(*state, p, dir, vm["seed"].as<uint64_t>());
      for (uint32_t i = 0; i < p.tensors.size(); ++i) {
        const isa::Tensor& t = p.tensors[i];
        if (!t.init.empty() && state->get_int(i) != t.init)
          throw isa::InputError(dir + "/" + t.name + ".npy holds " + head_of(state->get_int(i)) +
                                " but the program was generated for '" + t.name + "' = " + head_of(t.init) +
                                ": its control flow (loop counts, cache positions read at orchestration level) "
                                "follows those values. Generate the program for the file's values (a Qwen3 "
                                "workload: --set workload.seq_lens.list=[...]) or leave the file out");
      }
      if (!vm.count("quiet"))
        std::printf("functional: %zu input tensors read from %s, %zu generated with seed %llu\n", in.loaded.size(),
                    dir.empty() ? "(none)" : dir.c_str(), in.generated.size(),
                    static_cast<unsigned long long>(vm["seed"].as<uint64_t>()));
      if (check) {
        if (!w.check)
          throw isa::InputError(vm.count("check-with")
                                    ? "--check-with " + vm["check-with"].as<std::string>() +
                                          ": that workload has no reference check (the Qwen3 decode workloads have one)"
                                : vm.count("program")
                                    ? "--check: a text program has no reference of its own; name the workload it "
                                      "came from with --check-with FILE"
                                    : "--check: this workload has no reference to check against (the Qwen3 "
                                      "decode workloads have one)");
        if (!vm.count("quiet")) {
          std::printf("functional: computing the reference from the inputs ...\n");
          std::fflush(stdout);
        }
        w.check->take_inputs(p, StateValues(p, *state));  // before the run: the inputs
      }
      opts.functional = state.get();
      if (!vm.count("quiet")) {  // a full-size layer takes a while: say what is running
        std::printf("functional: executing %llu instructions on their data ...\n",
                    static_cast<unsigned long long>(p.instruction_count()));
        std::fflush(stdout);
      }
    }
    sim::RunResult r = sim::simulate(p, hw, opts);
    if (!opts.trace_path.empty() && opts.trace_filter.from_us >= r.report["total_us"].get<double>())
      std::fprintf(stderr, "npusim: note: --trace-window starts at %g us, after the last task ended (%g us)\n",
                   opts.trace_filter.from_us, r.report["total_us"].get<double>());
    if (!opts.trace_path.empty() && !vm.count("quiet")) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(opts.trace_path, ec);
      if (!ec) std::printf("trace: %s (%.1f MB)\n", opts.trace_path.c_str(), double(size) / 1e6);
    }
    r.report["workload"] = vm.count("workload") ? vm["workload"].as<std::string>()
                           : vm.count("launch") ? vm["launch"].as<std::string>()
                                                : vm["program"].as<std::string>();
    r.report["provenance"] = provenance(provenance_inputs(vm, hw_source, functional));
    // Before the simulation: generating (or reading) the program, validating it.
    r.report["sim"]["prepare_s"] = prepare_s;
    if (vm.count("report")) sim::write_file(vm["report"].as<std::string>(), r.report.dump(2) + "\n", "the report");
    if (vm.count("html"))
      sim::write_file(vm["html"].as<std::string>(),
                      html_report(r.report, "the run of " + r.report["workload"].get<std::string>()), "the HTML report");
    if (!vm.count("quiet")) std::cout << sim::format_summary(r.report);
    if (vm.count("dump")) sim::dump_tensors(*state, p, vm["dump"].as<std::string>());
    if (check) {
      const workloads::CheckReport c = w.check->judge(p, StateValues(p, *state));
      std::cout << c.format();
      if (!c.ok()) return kRegression;
    }
    return kOk;
  });
}

int cmd_disasm(const std::vector<std::string>& args) {
  return guarded([&] {
    po::options_description desc("npusim disasm options");
    desc.add_options()("help,h", "this help")("workload", po::value<std::string>(), "workload description")(
        "program", po::value<std::string>(), "a text program (parsed, validated and printed again)")(
        "output,o", po::value<std::string>(), "write here instead of stdout")(
        "set", po::value<std::vector<std::string>>()->composing(),
        "workload.KEY=VALUE: change a key of the workload YAML first, as for `npusim run`; repeatable");
    add_pto_options(desc);
    po::variables_map vm;
    if (!parse(args, desc, vm,
               "usage: npusim disasm --workload FILE [--set workload.KEY=VALUE ...] [-o FILE]\n"
               "       npusim disasm --program FILE [-o FILE]\n"
               "       npusim disasm --launch FILE [--pto FILE.pto ...] [-o FILE]\n"
               "Prints a workload's tile program in the text format (docs/text_format.md), generated for the\n"
               "default hardware's buffers (a2a3: disasm takes no --hw), or a text program parsed, validated\n"
               "and printed again. The output runs with `npusim run --program FILE`; edited, it is judged\n"
               "with `npusim run --program FILE --check-with WORKLOAD.yaml`.\n"
               "\nExit status: 0 printed; 2 bad input (an option, the workload or program missing or\n"
               "malformed, an output that cannot be written); 3 an internal error (a bug in npusim).\n"))
      return kOk;
    if (!vm.count("workload") && !vm.count("program") && !vm.count("launch"))
      throw po::error("give --workload FILE, --program FILE or --launch FILE");
    const std::vector<Override> os = overrides(vm);
    for (const Override& o : os)
      if (o.target != "workload")
        throw po::error("disasm: --set " + o.key() + ": only workload.* keys (disasm takes no hardware file)");
    isa::SourceMap src;
    const std::string text = isa::print_program(load_program(vm, os, {}, src).program);
    if (vm.count("output")) {
      sim::write_file(vm["output"].as<std::string>(), text, "the program");
    } else {
      std::cout << text;
    }
    return kOk;
  });
}

}  // namespace cli
