// npusim sweep: run every point of a sweep file as a child `npusim run`
// (at most -j at a time), one CSV row per finished point; or write the points
// as shell commands for GNU parallel / Slurm (--emit-jobs) and merge their
// results (--collect).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include <boost/program_options.hpp>

#include "sim/file_io.h"
#include "tools/cli/cli.h"
#include "tools/cli/report_io.h"
#include "tools/cli/sweep.h"

extern char** environ;

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace cli {

namespace {

using Clock = std::chrono::steady_clock;
using sweep::Point;
using sweep::Spec;

volatile std::sig_atomic_t g_stop = 0;  // the signal that interrupts the sweep
extern "C" void on_stop_signal(int sig) { g_stop = sig; }

bool is_stop_signal(int sig) { return sig == SIGINT || sig == SIGTERM || sig == SIGHUP; }

std::string self_exe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw isa::InputError("cannot find the npusim binary (/proc/self/exe): " + ec.message());
  return p.string();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

void write_all(int fd, const std::string& s, const std::string& file) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw isa::InputError("cannot write " + file + ": " + std::strerror(errno));
    done += size_t(n);
  }
}

std::string duration(double s) {
  char buf[64];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  return buf;
}

std::string signal_name(int sig) {
  const char* d = strsignal(sig);
  return "killed by signal " + std::to_string(sig) + (d ? std::string(" (") + d + ")" : "");
}

// --- local run ---------------------------------------------------------------

// While a sweep runs: SIGINT, SIGTERM and SIGHUP set g_stop (no SA_RESTART,
// so waitpid returns EINTR) and SIGPIPE is ignored (progress written to a
// closed pipe must not end the sweep). Restored on destruction.
class SignalGuard {
 public:
  SignalGuard() {
    struct sigaction stop {}, ign {};
    stop.sa_handler = on_stop_signal;
    sigemptyset(&stop.sa_mask);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    for (size_t i = 0; i < 3; ++i) sigaction(kStop[i], &stop, &old_[i]);
    sigaction(SIGPIPE, &ign, &old_[3]);
  }
  ~SignalGuard() {
    for (size_t i = 0; i < 3; ++i) sigaction(kStop[i], &old_[i], nullptr);
    sigaction(SIGPIPE, &old_[3], nullptr);
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

 private:
  static constexpr int kStop[3] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction old_[4] {};
};

struct Child {
  Point point;
  std::string json, err;
  Clock::time_point start;
};

pid_t spawn(const std::string& exe, const std::vector<std::string>& args, const std::string& err_file) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> all = {exe};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The sweep ignores SIGPIPE (progress to a closed pipe must not end it);
  // the child gets the default back.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t def;
  sigemptyset(&def);
  sigaddset(&def, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &def);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, exe.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw isa::InputError("cannot start " + exe + ": " + std::strerror(rc));
  return pid;
}

// The row of a child that ended with `status` (not by a stop signal).
std::vector<std::string> finished_row(const Child& c, int status) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    try {
      return sweep::ok_row(c.point, load_report(c.json));
    } catch (const std::exception& e) {
      return sweep::error_row(c.point, e.what());
    }
  }
  std::string msg = sweep::one_line(read_text(c.err));
  if (msg.empty())
    msg = WIFSIGNALED(status) ? signal_name(WTERMSIG(status))
                              : "exited with code " + std::to_string(WEXITSTATUS(status));
  return sweep::error_row(c.point, msg);
}

int run_local(const Spec& spec, const std::string& out, unsigned jobs, bool resume) {
  const std::vector<Point> points = sweep::expand(spec);
  const std::vector<std::string> header = sweep::csv_header(spec.columns());
  const size_t status_col = 1 + spec.columns().size();

  sweep::Existing ex;
  size_t failed = 0;
  if (resume && fs::exists(out)) {
    const std::string text = read_text(out);
    ex = sweep::read_existing(text, out, header);
    if (ex.partial_line) {
      fs::resize_file(out, ex.keep_bytes);
      std::fprintf(stderr, "sweep: dropped the unfinished last line of %s\n", out.c_str());
    }
    std::istringstream in(text.substr(0, ex.keep_bytes));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line))
      if (sweep::parse_csv_line(line)[status_col] == "error") ++failed;
  }
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | (ex.has_header ? 0 : O_TRUNC), 0644);
  if (fd < 0) throw isa::InputError("cannot write " + out + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (!ex.has_header) write_all(fd, sweep::csv_line(header), out);

  std::vector<const Point*> todo;
  size_t done = 0;
  for (const Point& p : points) {
    if (ex.done.count(p.values))
      ++done;
    else
      todo.push_back(&p);
  }
  const size_t total = points.size();
  std::fprintf(stderr, "sweep: %zu points", total);
  if (resume) std::fprintf(stderr, ", %zu already in %s", done, out.c_str());
  std::fprintf(stderr, "; running %zu with -j %u\n", todo.size(), jobs);
  if (ex.rows > done)
    std::fprintf(stderr, "sweep: note: %s has %zu rows of points not in this sweep (kept)\n", out.c_str(),
                 ex.rows - done);

  const std::string exe = self_exe();
  std::string tmp = (fs::temp_directory_path() / "npusim-sweep-XXXXXX").string();
  if (!mkdtemp(tmp.data())) throw isa::InputError("cannot create a temporary directory: " + std::string(std::strerror(errno)));

  g_stop = 0;
  const SignalGuard guard;
  std::map<pid_t, Child> running;
  size_t next = 0, ran = 0;
  bool killed = false;
  const Clock::time_point t0 = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  try {
    while (true) {
      while (!g_stop && running.size() < jobs && next < todo.size()) {
        const Point& p = *todo[next++];
        Child c{p, tmp + "/point-" + std::to_string(p.index) + ".json",
                tmp + "/point-" + std::to_string(p.index) + ".err", Clock::now()};
        const pid_t pid = spawn(exe, sweep::run_args(spec, p, c.json), c.err);
        running.emplace(pid, std::move(c));
      }
      if (g_stop && !killed) {
        for (const auto& [pid, c] : running) kill(pid, SIGTERM);
        killed = true;
      }
      if (running.empty()) break;
      int status = 0;
      const pid_t pid = waitpid(-1, &status, 0);
      if (pid < 0) {
        if (errno == EINTR) continue;
        throw isa::InputError(std::string("waitpid: ") + std::strerror(errno));
      }
      auto it = running.find(pid);
      if (it == running.end()) continue;
      const Child c = std::move(it->second);
      running.erase(it);
      if (WIFSIGNALED(status) && is_stop_signal(WTERMSIG(status))) {
        // Interrupted, not failed: leave the point for --resume.
        if (!g_stop) g_stop = WTERMSIG(status);
      } else {
        const std::vector<std::string> row = finished_row(c, status);
        write_all(fd, sweep::csv_line(row), out);
        ++done;
        ++ran;
        const bool ok = row[status_col] == "ok";
        if (!ok) ++failed;
        const double el = elapsed();
        const size_t left = total - done;
        const std::string eta = left == 0 ? "0 s" : duration(el / double(ran) * double(left));
        std::string what = "point " + std::to_string(c.point.index) + " " + (ok ? "ok" : "error");
        if (!ok) {
          std::string m = row[status_col + 1];
          if (m.size() > 160) m = m.substr(0, 157) + "...";
          what += ": " + m;
        }
        std::fprintf(stderr, "sweep: %zu/%zu done, %zu failed, %s elapsed, ETA %s | %s (%.2f s)\n", done, total,
                     failed, duration(el).c_str(), eta.c_str(), what.c_str(),
                     std::chrono::duration<double>(Clock::now() - c.start).count());
      }
      std::error_code ec;
      fs::remove(c.json, ec);
      fs::remove(c.err, ec);
    }
  } catch (...) {
    for (const auto& [pid, c] : running) kill(pid, SIGTERM);
    for (const auto& [pid, c] : running) waitpid(pid, nullptr, 0);
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
  std::error_code ec;
  fs::remove_all(tmp, ec);
  if (g_stop) {
    std::fprintf(stderr, "sweep: interrupted (%s): %zu of %zu points in %s; rerun with --resume to finish\n",
                 strsignal(g_stop), done, total, out.c_str());
    return 128 + g_stop;
  }
  std::fprintf(stderr, "sweep: %zu points in %s, %zu failed, %s\n", total, out.c_str(), failed,
               duration(elapsed()).c_str());
  return kOk;  // every point has a row; failed ones are data (status, error)
}

// --- emit-jobs / collect -----------------------------------------------------

int emit_jobs(const Spec& spec, const std::string& dir, const std::string& bin) {
  const std::vector<Point> points = sweep::expand(spec);
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "results", ec);
  if (ec) throw isa::InputError("cannot create " + (fs::path(dir) / "results").string() + ": " + ec.message());
  const std::string jobs_txt = (fs::path(dir) / "jobs.txt").string();
  const std::string slurm = (fs::path(dir) / "slurm.sh").string();
  {
    sim::OutFile jobs(jobs_txt, "");
    for (const Point& p : points) jobs.write(sweep::job_line(bin, spec, p, dir) + "\n");
    jobs.close();
    sim::OutFile pts((fs::path(dir) / "points.csv").string(), "");
    std::vector<std::string> head = {"point"};
    for (const std::string& c : spec.columns()) head.push_back(c);
    pts.write(sweep::csv_line(head));
    for (const Point& p : points) {
      std::vector<std::string> r = {std::to_string(p.index)};
      r.insert(r.end(), p.values.begin(), p.values.end());
      pts.write(sweep::csv_line(r));
    }
    pts.close();
  }
  {
    std::ostringstream s;
    s << "#!/bin/bash\n"
         "# Slurm job array: task i runs line i+1 of jobs.txt (one sweep point).\n"
         "# Submit from the directory `npusim sweep --emit-jobs` ran in (paths are relative to it):\n"
         "#   sbatch --array=0-"
      << points.size() - 1 << " " << slurm
      << "\n"
         "# then: npusim sweep --collect "
      << dir
      << " -o results.csv\n"
         "#SBATCH --job-name=npusim-sweep\n"
         "#SBATCH --array=0-"
      << points.size() - 1
      << "\n"
         "#SBATCH --output="
      << dir
      << "/slurm-%A_%a.out\n"
         "set -euo pipefail\n"
         "line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" "
      << sweep::shell_quote(jobs_txt)
      << ")\n"
         "exec bash -c \"$line\"\n";
    sim::write_file(slurm, s.str(), "");
  }
  fs::permissions(slurm, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
  size_t stale = 0;
  for (const auto& e : fs::directory_iterator(fs::path(dir) / "results")) stale += e.is_regular_file();
  std::fprintf(stderr,
               "sweep: %zu jobs in %s (points in %s/points.csv)\n"
               "run them with GNU parallel:  parallel -j 8 < %s\n"
               "  or across hosts:           parallel --sshloginfile hosts.txt --workdir $PWD < %s\n"
               "  or as a Slurm job array:   sbatch --array=0-%zu %s\n"
               "then merge the results:      npusim sweep --collect %s -o results.csv\n",
               points.size(), jobs_txt.c_str(), dir.c_str(), jobs_txt.c_str(), jobs_txt.c_str(),
               points.size() - 1, slurm.c_str(), dir.c_str());
  if (stale)
    std::fprintf(stderr, "sweep: note: %s/results already holds %zu files (a rerun of a point replaces its own)\n",
                 dir.c_str(), stale);
  return kOk;
}

int collect(const std::string& dir, const std::string& out) {
  const sweep::Collected c = sweep::collect(dir);
  sim::OutFile o(out, "");
  o.write(sweep::csv_line(c.header));
  for (const auto& r : c.rows) o.write(sweep::csv_line(r));
  o.close();
  std::fprintf(stderr, "sweep: %zu rows in %s, %zu failed\n", c.rows.size(), out.c_str(), c.failed);
  if (!c.missing.empty()) {
    std::string list;
    for (size_t i = 0; i < c.missing.size() && i < 20; ++i) list += (i ? ", " : "") + std::to_string(c.missing[i]);
    if (c.missing.size() > 20) list += ", ...";
    std::fprintf(stderr, "sweep: %zu points have no result in %s/results yet: %s\n", c.missing.size(), dir.c_str(),
                 list.c_str());
  }
  return c.missing.empty() ? kOk : kRegression;
}

}  // namespace

int cmd_sweep(const std::vector<std::string>& args) {
  return guarded([&] {
    po::options_description desc("npusim sweep options");
    desc.add_options()("help,h", "this help")(
        "jobs,j", po::value<unsigned>()->default_value(std::max(1u, std::thread::hardware_concurrency())),
        "points simulated at a time")("output,o", po::value<std::string>(), "results CSV")(
        "resume", "keep the rows already in the CSV and run only the points missing from it")(
        "emit-jobs", po::value<std::string>(), "DIR: write one command per point (DIR/jobs.txt) instead of running")(
        "collect", po::value<std::string>(), "DIR: merge the results of emitted jobs into the CSV (-o)")(
        "bin", po::value<std::string>(), "with --emit-jobs: the npusim the commands run (default: this one)")(
        "sweep", po::value<std::string>(), "sweep file (YAML)");
    po::positional_options_description pos;
    pos.add("sweep", 1);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: npusim sweep SWEEP.yaml -o results.csv [-j N] [--resume]\n"
                   "       npusim sweep SWEEP.yaml --emit-jobs DIR [--bin PATH]\n"
                   "       npusim sweep --collect DIR -o results.csv\n"
                << desc;
      return kOk;
    }
    po::notify(vm);
    if (vm.count("collect")) {
      if (vm.count("sweep") || vm.count("emit-jobs") || vm.count("resume"))
        throw po::error("--collect DIR -o FILE takes no sweep file, --emit-jobs or --resume");
      if (!vm.count("output")) throw po::error("--collect needs -o FILE");
      return collect(vm["collect"].as<std::string>(), vm["output"].as<std::string>());
    }
    if (!vm.count("sweep")) throw po::error("give a sweep file: npusim sweep SWEEP.yaml -o results.csv");
    const Spec spec = sweep::load_spec(vm["sweep"].as<std::string>());
    sweep::check_keys(spec);
    if (vm.count("emit-jobs")) {
      if (vm.count("output") || vm.count("resume"))
        throw po::error("--emit-jobs writes commands, not a CSV: drop -o / --resume (then use --collect)");
      return emit_jobs(spec, vm["emit-jobs"].as<std::string>(),
                       vm.count("bin") ? vm["bin"].as<std::string>() : self_exe());
    }
    if (vm.count("bin")) throw po::error("--bin goes with --emit-jobs");
    if (!vm.count("output")) throw po::error("give the results file: -o results.csv");
    const unsigned jobs = vm["jobs"].as<unsigned>();
    if (jobs < 1) throw po::error("-j must be at least 1");
    return run_local(spec, vm["output"].as<std::string>(), jobs, vm.count("resume") > 0);
  });
}

}  // namespace cli
