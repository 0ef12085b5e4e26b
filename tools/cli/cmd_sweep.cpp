// npusim sweep: run every point of a sweep file as a child `npusim run`
// (at most -j at a time), one CSV row per finished point; or write the points
// as shell commands for GNU parallel / Slurm (--emit-jobs) and merge their
// results (--collect).
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
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

// While a sweep runs: SIGINT, SIGTERM and SIGHUP set g_stop, SIGCHLD has a
// handler that does nothing (so that it interrupts ppoll), and all four are
// blocked except inside ppoll (no lost wake-up between a check and the wait).
// SIGPIPE is ignored (progress written to a closed pipe must not end the
// sweep). Restored on destruction.
class SignalGuard {
 public:
  SignalGuard() {
    struct sigaction stop {}, chld {}, ign {};
    stop.sa_handler = on_stop_signal;
    sigemptyset(&stop.sa_mask);
    chld.sa_handler = on_child_signal;
    sigemptyset(&chld.sa_mask);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigset_t block;
    sigemptyset(&block);
    for (size_t i = 0; i < 3; ++i) {
      sigaction(kStop[i], &stop, &old_[i]);
      sigaddset(&block, kStop[i]);
    }
    sigaction(SIGCHLD, &chld, &old_[3]);
    sigaddset(&block, SIGCHLD);
    sigaction(SIGPIPE, &ign, &old_[4]);
    sigprocmask(SIG_BLOCK, &block, &old_mask_);
  }
  ~SignalGuard() {
    sigprocmask(SIG_SETMASK, &old_mask_, nullptr);  // a pending stop signal still finds our handler
    for (size_t i = 0; i < 3; ++i) sigaction(kStop[i], &old_[i], nullptr);
    sigaction(SIGCHLD, &old_[3], nullptr);
    sigaction(SIGPIPE, &old_[4], nullptr);
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

 private:
  static void on_child_signal(int) {}
  static constexpr int kStop[3] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction old_[5] {};
  sigset_t old_mask_ {};
};

// A running point. Its report comes back through a pipe (the child writes it
// to its fd 3) and its stderr through another: a sweep makes no temporary
// files, so there is nothing to leave behind however it ends.
struct Child {
  Point point;
  int report_fd = -1, err_fd = -1;  // read ends; -1 once closed
  std::string report, err;
  Clock::time_point start;
  bool timed_out = false;
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Reads what `fd` has now into `into`; closes it at end of file.
void read_some(int& fd, std::string& into) {
  char buf[65536];
  while (fd >= 0) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, size_t(n));
    } else if (n == 0) {
      close_fd(fd);
    } else if (errno != EINTR) {
      if (errno != EAGAIN) close_fd(fd);
      return;
    }
  }
}

// Starts `exe args` as the child of point `c`: stdin and stdout /dev/null,
// stderr and fd 3 pipes to c.err_fd and c.report_fd. The child leads its own
// process group (a timeout kills all of it) and gets SIGKILL when the sweep
// dies, kill -9 included (PR_SET_PDEATHSIG, which posix_spawn cannot set).
pid_t spawn(const std::string& exe, const std::vector<std::string>& args, Child& c) {
  std::vector<std::string> all = {exe};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  int rep[2], err[2];
  if (pipe2(rep, O_CLOEXEC) != 0)
    throw isa::InputError(std::string("cannot start a point (pipe): ") + std::strerror(errno));
  if (pipe2(err, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(rep[0]);
    ::close(rep[1]);
    throw isa::InputError(std::string("cannot start a point (pipe): ") + std::strerror(e));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {  // the child: async-signal-safe calls only, up to exec
    setpgid(0, 0);
    // The parent may have died before prctl: then nobody would kill us.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(127);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGPIPE, &dfl, nullptr);  // the sweep ignores it; the child gets the default back
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // `from` as fd `to` across exec (dup2 onto itself would keep close-on-exec).
    auto put = [](int from, int to) { return from == to ? fcntl(to, F_SETFD, 0) : dup2(from, to); };
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || put(null, 0) < 0 || put(null, 1) < 0 || put(err[1], 2) < 0 || put(rep[1], 3) < 0) _exit(127);
    execv(exe.c_str(), argv.data());
    const char msg[] = "cannot start the npusim binary of the sweep\n";
    (void)!::write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  const int fork_errno = errno;
  ::close(rep[1]);
  ::close(err[1]);
  if (pid < 0) {
    ::close(rep[0]);
    ::close(err[0]);
    throw isa::InputError(std::string("cannot start a point (fork): ") + std::strerror(fork_errno));
  }
  setpgid(pid, pid);  // as in the child: whichever runs first, the group exists before any kill
  fcntl(rep[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  c.report_fd = rep[0];
  c.err_fd = err[0];
  return pid;
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

// The row of a child that ended with `status` (not by a stop signal).
std::vector<std::string> finished_row(const Child& c, int status, double timeout) {
  if (c.timed_out) return sweep::error_row(c.point, "timed out after " + seconds(timeout) + " s (killed)");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    try {
      return sweep::ok_row(c.point, parse_report(c.report, "the report of point " + std::to_string(c.point.index)));
    } catch (const std::exception& e) {
      return sweep::error_row(c.point, e.what());
    }
  }
  std::string msg = sweep::one_line(c.err);
  if (msg.empty())
    msg = WIFSIGNALED(status) ? signal_name(WTERMSIG(status))
                              : "exited with code " + std::to_string(WEXITSTATUS(status));
  return sweep::error_row(c.point, msg);
}

// Replaces `path` by `text` at once (a new file renamed over it): an
// interrupted rewrite leaves the old file.
void replace_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".npusim-new";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw isa::InputError("cannot write " + tmp + ": " + std::strerror(errno));
  try {
    write_all(fd, text, tmp);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    throw isa::InputError("cannot replace " + path + ": " + std::strerror(e));
  }
}

struct LocalOptions {
  unsigned jobs = 1;
  bool resume = false, retry_failed = false;
  double timeout = 0;  // seconds; 0 = none
};

int run_local(const Spec& spec, const std::string& out, const LocalOptions& opt) {
  const std::vector<Point> points = sweep::expand(spec);
  const std::vector<std::string> header = sweep::csv_header(spec.columns());
  const size_t status_col = 1 + spec.columns().size();

  sweep::Existing ex;
  size_t failed = 0;
  if (opt.resume && fs::exists(out)) {
    std::string text = read_text(out);
    ex = sweep::read_existing(text, out, header);
    text.resize(ex.keep_bytes);
    if (ex.partial_line) std::fprintf(stderr, "sweep: dropped the unfinished last line of %s\n", out.c_str());
    if (opt.retry_failed) {
      size_t dropped = 0;
      text = sweep::drop_failed(text, header, points, dropped);
      if (dropped || ex.partial_line) replace_file(out, text);
      ex = sweep::read_existing(text, out, header);
      std::fprintf(stderr, "sweep: --retry-failed: %zu failed points of %s run again\n", dropped, out.c_str());
    } else if (ex.partial_line) {
      fs::resize_file(out, ex.keep_bytes);
    }
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line))
      if (sweep::parse_csv_line(line)[status_col] == "error") ++failed;
  }
  const int fd =
      ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (ex.has_header ? 0 : O_TRUNC), 0644);
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
  if (opt.resume) std::fprintf(stderr, ", %zu already in %s", done, out.c_str());
  std::fprintf(stderr, "; running %zu with -j %u", todo.size(), opt.jobs);
  if (opt.timeout > 0) std::fprintf(stderr, ", at most %s s each", seconds(opt.timeout).c_str());
  std::fprintf(stderr, "\n");
  if (ex.rows > done)
    std::fprintf(stderr, "sweep: note: %s has %zu rows of points not in this sweep (kept)\n", out.c_str(),
                 ex.rows - done);

  const std::string exe = self_exe();
  g_stop = 0;
  const SignalGuard guard;
  std::map<pid_t, Child> running;
  size_t next = 0, ran = 0;
  bool killed = false;
  sigset_t none;  // what ppoll waits with: every signal let through
  sigemptyset(&none);
  const Clock::time_point t0 = Clock::now();
  auto since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  // A point that finished (reaped, its pipes read to the end).
  auto finish = [&](Child& c, int status) {
    if (!c.timed_out && WIFSIGNALED(status) && is_stop_signal(WTERMSIG(status))) {
      // Interrupted, not failed: leave the point for --resume.
      if (!g_stop) g_stop = WTERMSIG(status);
      return;
    }
    const std::vector<std::string> row = finished_row(c, status, opt.timeout);
    write_all(fd, sweep::csv_line(row), out);
    ++done;
    ++ran;
    const bool ok = row[status_col] == "ok";
    if (!ok) ++failed;
    const double el = since(t0);
    const size_t left = total - done;
    const std::string eta = left == 0 ? "0 s" : duration(el / double(ran) * double(left));
    std::string what = "point " + std::to_string(c.point.index) + " " + (ok ? "ok" : "error");
    if (!ok) {
      std::string m = row[status_col + 1];
      // The end of a long message is its cause (the start names the file).
      if (m.size() > 160) m = "..." + m.substr(m.size() - 157);
      what += ": " + m;
    }
    std::fprintf(stderr, "sweep: %zu/%zu done, %zu failed, %s elapsed, ETA %s | %s (%.2f s)\n", done, total, failed,
                 duration(el).c_str(), eta.c_str(), what.c_str(), since(c.start));
  };
  try {
    while (true) {
      while (!g_stop && running.size() < opt.jobs && next < todo.size()) {
        Child c{*todo[next++], -1, -1, {}, {}, Clock::now(), false};
        const pid_t pid = spawn(exe, sweep::run_args(spec, c.point, "/dev/fd/3"), c);
        running.emplace(pid, std::move(c));
      }
      if (g_stop && !killed) {
        for (const auto& [pid, c] : running) kill(-pid, SIGTERM);
        killed = true;
      }
      int status = 0;
      for (pid_t pid; (pid = waitpid(-1, &status, WNOHANG)) > 0;) {
        auto it = running.find(pid);
        if (it == running.end()) continue;
        Child c = std::move(it->second);
        running.erase(it);
        read_some(c.report_fd, c.report);  // what it wrote before it ended
        read_some(c.err_fd, c.err);
        close_fd(c.report_fd);  // a grandchild may still hold the pipes: not waited for
        close_fd(c.err_fd);
        finish(c, status);
      }
      if (running.empty() && (g_stop || next == todo.size())) break;
      if (running.size() < opt.jobs && !g_stop && next < todo.size()) continue;
      // Wait for output, a child's end (SIGCHLD), a stop signal or the next deadline.
      std::vector<pollfd> fds;
      double wait = -1;  // seconds; < 0: no deadline
      for (const auto& [pid, c] : running) {
        for (int f : {c.report_fd, c.err_fd})
          if (f >= 0) fds.push_back({f, POLLIN, 0});
        if (opt.timeout > 0 && !c.timed_out) {
          const double left = std::max(0.0, opt.timeout - since(c.start));
          wait = wait < 0 ? left : std::min(wait, left);
        }
      }
      timespec ts{};
      if (wait >= 0) {
        wait = std::min(wait, 86400.0);
        ts.tv_sec = time_t(wait);
        ts.tv_nsec = long((wait - double(ts.tv_sec)) * 1e9);
      }
      if (ppoll(fds.data(), fds.size(), wait >= 0 ? &ts : nullptr, &none) < 0 && errno != EINTR)
        throw isa::InputError(std::string("ppoll: ") + std::strerror(errno));
      for (auto& [pid, c] : running) {
        read_some(c.report_fd, c.report);
        read_some(c.err_fd, c.err);
        if (opt.timeout > 0 && !c.timed_out && since(c.start) >= opt.timeout) {
          kill(-pid, SIGKILL);
          c.timed_out = true;
        }
      }
    }
  } catch (...) {
    for (auto& [pid, c] : running) {
      kill(-pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      close_fd(c.report_fd);
      close_fd(c.err_fd);
    }
    throw;
  }
  if (g_stop) {
    std::fprintf(stderr, "sweep: interrupted (%s): %zu of %zu points in %s; rerun with --resume to finish\n",
                 strsignal(g_stop), done, total, out.c_str());
    return 128 + g_stop;
  }
  std::fprintf(stderr, "sweep: %zu points in %s, %zu failed, %s\n", total, out.c_str(), failed,
               duration(since(t0)).c_str());
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
        "retry-failed", "with --resume: also run again the points whose rows have status error (their rows are "
                        "replaced)")(
        "point-timeout", po::value<double>(),
        "SECONDS: kill a point that runs longer (error row \"timed out\"); overrides timeout: of the sweep file; "
        "default: no limit")(
        "emit-jobs", po::value<std::string>(), "DIR: write one command per point (DIR/jobs.txt) instead of running")(
        "collect", po::value<std::string>(), "DIR: merge the results of emitted jobs into the CSV (-o)")(
        "bin", po::value<std::string>(), "with --emit-jobs: the npusim the commands run (default: this one)")(
        "sweep", po::value<std::string>(), "sweep file (YAML)");
    po::positional_options_description pos;
    pos.add("sweep", 1);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: npusim sweep SWEEP.yaml -o results.csv [-j N] [--point-timeout S]\n"
                   "                    [--resume [--retry-failed]]\n"
                   "       npusim sweep SWEEP.yaml --emit-jobs DIR [--bin PATH]\n"
                   "       npusim sweep --collect DIR -o results.csv\n"
                << desc
                << "\nThe sweep file (YAML; file paths relative to the working directory):\n"
                   "  hw: configs/hw/a2a3.yaml                # the base hardware file\n"
                   "  workload: configs/workloads/gemm.yaml   # the base workload file\n"
                   "  axes:                                   # each key is one dimension of the product\n"
                   "    workload.tiling.tile_k: [128, 256]    # a key path, as for `run --set KEY=VALUE`\n"
                   "    hw: [configs/hw/a2a3.yaml, configs/hw/a5.yaml]   # or a base file itself\n"
                   "  zip:                                    # optional: each group is one dimension whose\n"
                   "    - hw.scheduler.dispatch_cycles: [1850, 5550]     # keys move together (equal lengths)\n"
                   "      hw.scheduler.launch_cycles: [185, 555]\n"
                   "  timeout: 600                            # optional: seconds a point may run\n"
                   "  description: tile_k against the hardware   # optional\n"
                   "\nPoints are the cartesian product of the axes and zip groups (first one outermost). The CSV\n"
                   "has a row per point: point, a column per axis, status (ok or error), error, total_cycles,\n"
                   "total_us, every summed counter, exec_us_mean, latency_us_mean, roofline_ratio; each row is\n"
                   "written as its point finishes, a line of progress goes to stderr. A point that fails (a\n"
                   "tile that does not fit) is an error row; the others still run.\n"
                   "\nEach point runs as a child `npusim run` (its own process group) that hands its report back\n"
                   "through a pipe: a sweep leaves no temporary files, and its children die with it, even on\n"
                   "kill -9. A point killed by the timeout gets an error row; --resume --retry-failed reruns it.\n"
                   "\nExit status: 0 every point has a row (error rows included: they are data); 1 --collect:\n"
                   "points without a result (listed on stderr); 2 bad input (the sweep file, an option, an\n"
                   "output that cannot be written); 3 an internal error (a bug in npusim); 128+N stopped by\n"
                   "signal N (the finished rows are kept: --resume).\n";
      return kOk;
    }
    po::notify(vm);
    if (vm.count("retry-failed") && !vm.count("resume"))
      throw po::error("--retry-failed goes with --resume (it reruns the failed rows of an existing CSV)");
    if (vm.count("point-timeout")) {
      const double t = vm["point-timeout"].as<double>();
      if (!std::isfinite(t) || t <= 0) throw po::error("--point-timeout must be a positive number of seconds");
    }
    if (vm.count("collect")) {
      if (vm.count("sweep") || vm.count("emit-jobs") || vm.count("resume") || vm.count("point-timeout"))
        throw po::error("--collect DIR -o FILE takes no sweep file, --emit-jobs, --resume or --point-timeout");
      if (!vm.count("output")) throw po::error("--collect needs -o FILE");
      return collect(vm["collect"].as<std::string>(), vm["output"].as<std::string>());
    }
    if (!vm.count("sweep")) throw po::error("give a sweep file: npusim sweep SWEEP.yaml -o results.csv");
    const Spec spec = sweep::load_spec(vm["sweep"].as<std::string>());
    sweep::check_keys(spec);
    if (vm.count("emit-jobs")) {
      if (vm.count("output") || vm.count("resume"))
        throw po::error("--emit-jobs writes commands, not a CSV: drop -o / --resume (then use --collect)");
      if (vm.count("point-timeout"))
        throw po::error("--point-timeout applies to a local run; limit emitted jobs with your runner "
                        "(parallel --timeout, sbatch --time)");
      if (spec.timeout > 0)
        std::fprintf(stderr, "sweep: note: timeout: of %s applies to local runs only; the emitted jobs have no "
                             "time limit (parallel --timeout, sbatch --time)\n", spec.file.c_str());
      return emit_jobs(spec, vm["emit-jobs"].as<std::string>(),
                       vm.count("bin") ? vm["bin"].as<std::string>() : self_exe());
    }
    if (vm.count("bin")) throw po::error("--bin goes with --emit-jobs");
    if (!vm.count("output")) throw po::error("give the results file: -o results.csv");
    const unsigned jobs = vm["jobs"].as<unsigned>();
    if (jobs < 1) throw po::error("-j must be at least 1");
    LocalOptions opt;
    opt.jobs = jobs;
    opt.resume = vm.count("resume") > 0;
    opt.retry_failed = vm.count("retry-failed") > 0;
    opt.timeout = vm.count("point-timeout") ? vm["point-timeout"].as<double>() : spec.timeout;
    return run_local(spec, vm["output"].as<std::string>(), opt);
  });
}

}  // namespace cli
