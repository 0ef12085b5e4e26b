#!/usr/bin/python3
"""Fit hardware parameters of npusim to measured per-kernel times.

    tools/calibrate.py --measured M.csv [--measured M2.csv ...] --workload W.yaml --hw BASE.yaml \
        --param dma.gm_to_l1.bytes_per_cycle,dma.gm_to_ub.bytes_per_cycle=4:80 \
        --param scheduler.completion_cycles=0:20000 \
        [--set workload.KEY=VALUE ...] [--bin build/bin/npusim] -o fitted.yaml [--table residuals.md]
    tools/calibrate.py --measured M.csv --workload W.yaml --hw HW.yaml --evaluate [--table residuals.md]

M.csv has the columns of ../shared/calibration/measured_910b_qwen3_32b.csv:
kernel, metric, value_us, ... where metric is exec_mean (a kernel's mean execution
record, or over every record when kernel is "(all tasks)") or latency_mean
(dispatch to finish; "(all tasks)" only). Every point is simulated with
`npusim run --report` and compared with the report's kernels[].exec_us.mean,
totals.exec_us_mean and totals.latency_us_mean. An optional column `set` holds
workload overrides for that row's run ("workload.tiling.seq_tile=256
workload.tiling.fuse_kv_loops=true", space-separated, added to --set), so the
points of several tilings of one workload fit together: each distinct `set`
is one simulation per step. An optional column `structure` names the rows in
the residual table.

--evaluate fits nothing: it prints the residual table of HW as it is (e.g.
a fitted file against data it was not fitted to).

A --param names one key, or several keys joined by commas that move together
(one physical quantity behind several keys, e.g. the MTE2 rate of the cube and
the vector cores); its start value is the first key's in the base file.

A --param may end with :START, the value the fit starts from (default: the
base file's value, clipped to the bounds).

The fit minimises the sum of squared log ratios simulated / measured (each point
counts by its relative error, whatever its size) over the named parameters,
within their bounds (scipy.optimize.least_squares, trust-region reflective).
The output is a hardware YAML: `base:` the given file, plus the fitted keys,
each tagged as fitted to the data, and a residual table per point before and
after. Needs Debian's python3-scipy (the system interpreter).
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from scipy.optimize import least_squares
except ImportError:  # another python3 first on PATH: Debian's has scipy
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("calibrate.py: needs numpy and scipy (Debian: apt-get install python3-scipy)")


def fail(msg):
    sys.exit(f"calibrate.py: {msg}")


def read_measured(path):
    points = []
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}")
    for i, r in enumerate(rows, start=2):
        for key in ("kernel", "metric", "value_us"):
            if key not in r or r[key] in (None, ""):
                fail(f"{path}:{i}: missing column '{key}'")
        if r["metric"] not in ("exec_mean", "latency_mean"):
            fail(f"{path}:{i}: metric '{r['metric']}' is not exec_mean or latency_mean")
        if r["metric"] == "latency_mean" and r["kernel"] != "(all tasks)":
            fail(f"{path}:{i}: latency_mean is only known over all tasks")
        try:
            v = float(r["value_us"])
        except ValueError:
            fail(f"{path}:{i}: value_us '{r['value_us']}' is not a number")
        if not v > 0:
            fail(f"{path}:{i}: value_us must be > 0")
        sets = tuple((r.get("set") or "").split())
        for x in sets:
            if not x.startswith("workload.") or "=" not in x:
                fail(f"{path}:{i}: set '{x}' is not a workload.KEY=VALUE override")
        points.append({"kernel": r["kernel"], "metric": r["metric"], "measured": v, "line": f"{path}:{i}",
                       "structure": (r.get("structure") or "").strip(), "sets": sets})
    if not points:
        fail(f"{path}: no data points")
    return points


def parse_param(text):
    key, sep, rng = text.partition("=")
    parts = rng.split(":")
    if not sep or len(parts) not in (2, 3):
        fail(f"--param {text}: expected KEY=LO:HI[:START] (a hw key path, its bounds, a start value)")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        fail(f"--param {text}: bounds and start must be numbers")
    lo, hi = nums[0], nums[1]
    if not 0 <= lo < hi:
        fail(f"--param {text}: need 0 <= LO < HI")
    if len(nums) == 3 and not lo <= nums[2] <= hi:
        fail(f"--param {text}: START must be within the bounds")
    return key.split(","), lo, hi, (nums[2] if len(nums) == 3 else None)


class Simulator:
    def __init__(self, args, integer_keys):
        self.args = args
        self.integer_keys = integer_keys
        self.cache = {}
        self.runs = 0

    def report(self, values, sets=()):
        """The report with the parameters at `values` (None: the base file as it
        is) and the workload overrides `sets`."""
        key = (tuple(values) if values is not None else None, sets)
        if key in self.cache:
            return self.cache[key]
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "r.json")
            cmd = [self.args.bin, "run", "-q", "--hw", self.args.hw, "--workload", self.args.workload,
                   "--report", out]
            for s in list(self.args.set) + list(sets):
                cmd += ["--set", s]
            for (keys, *_), v in zip(self.args.params, values or []):
                for k in keys:
                    cmd += ["--set", f"hw.{k}={fmt(k, v, self.integer_keys)}"]
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                fail(f"npusim failed ({p.returncode}) for {' '.join(cmd)}:\n{p.stderr.strip()}")
            with open(out) as f:
                r = json.load(f)
        self.runs += 1
        self.cache[key] = r
        return r


def fmt(key, v, integer_keys):
    return str(int(round(v))) if key in integer_keys else f"{v:.6g}"


def simulated(report, point):
    if point["kernel"] == "(all tasks)":
        key = "exec_us_mean" if point["metric"] == "exec_mean" else "latency_us_mean"
        if key not in report["totals"]:
            fail(f"the report has no totals.{key}: is this npusim too old?")
        return report["totals"][key]
    for k in report["kernels"]:
        if k["name"] == point["kernel"]:
            return k["exec_us"]["mean"]
    fail(f"measured kernel '{point['kernel']}' ({point['line']}) is not in the workload's report")


def hw_values(args):
    """The base file's resolved values of the parameters (npusim hw show)."""
    p = subprocess.run([args.bin, "hw", "show", "--hw", args.hw], capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"npusim hw show --hw {args.hw} failed:\n{p.stderr.strip()}")
    values, integer_keys, stack = {}, set(), []
    for line in p.stdout.splitlines():
        body = line.split("#", 1)[0].rstrip()
        if not body.strip() or ":" not in body:
            continue
        indent = len(body) - len(body.lstrip())
        k, _, v = body.strip().partition(":")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([s[1] for s in stack] + [k])
        v = v.strip()
        if not v:
            stack.append((indent, k))
            continue
        # Integer keys by name (the value "0" of a real key's default looks like one).
        last = path.rsplit(".", 1)[-1]
        if last.endswith(("_cycles", "_kib", "_bytes")) or last in (
                "threads", "core_groups", "vector_cores", "associativity", "fp32_slowdown"):
            integer_keys.add(path)
        try:
            values[path] = float(v)
        except ValueError:
            pass
    return values, integer_keys


def nested_yaml(base, fitted, note):
    tree = {}
    for key, (value, comment) in fitted.items():
        node = tree
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = (value, comment)
    lines = [f"# Fitted by tools/calibrate.py: {note}", f"base: {base}"]

    def emit(node, indent):
        for k, v in node.items():
            if isinstance(v, dict):
                lines.append(" " * indent + f"{k}:")
                emit(v, indent + 2)
            else:
                lines.append(" " * indent + f"{k}: {v[0]}  # {v[1]}")
    emit(tree, 0)
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--measured", action="append", required=True, help="a CSV of measured points (repeatable)")
    ap.add_argument("--workload", required=True)
    ap.add_argument("--hw", required=True)
    ap.add_argument("--param", action="append", default=[])
    ap.add_argument("--evaluate", action="store_true", help="no fit: the residuals of --hw as it is")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "bin",
                                                  "npusim"))
    ap.add_argument("-o", "--output")
    ap.add_argument("--table", help="write the residual table (markdown) here")
    ap.add_argument("--max-evals", type=int, default=200)
    args = ap.parse_args()
    if args.evaluate and (args.param or args.output):
        fail("--evaluate fits nothing: give no --param and no -o")
    if not args.evaluate and not (args.param and args.output):
        fail("give the --param(s) to fit and -o for the fitted file (or --evaluate)")
    args.params = [parse_param(p) for p in args.param]
    if not os.access(args.bin, os.X_OK):
        fail(f"no npusim binary at {args.bin} (give --bin)")
    points = [p for m in args.measured for p in read_measured(m)]
    base, integer_keys = hw_values(args)
    for keys, lo, hi, _ in args.params:
        for k in keys:
            if k not in base:
                fail(f"--param {k}: no such number in {args.hw} (see npusim hw show --hw {args.hw})")
    sim = Simulator(args, integer_keys)
    start = [base[keys[0]] if s0 is None else s0 for keys, _, _, s0 in args.params]
    x0 = np.array([min(max(v, lo), hi) for v, (_, lo, hi, _) in zip(start, args.params)])
    lo = np.array([p[1] for p in args.params])
    hi = np.array([p[2] for p in args.params])

    def sim_us(values, p):
        return simulated(sim.report(values, p["sets"]), p)

    def residuals(x):
        return np.array([math.log(sim_us(list(x), p) / p["measured"]) for p in points])

    def label(p):
        return f"{p['kernel']} {p['metric']}" + (f" ({p['structure']})" if p["structure"] else "")

    # the base file as it is (tied keys may differ there)
    before = np.array([math.log(sim_us(None, p) / p["measured"]) for p in points])
    if args.evaluate:
        rows = ["| point | measured us | simulated us | ratio |", "|---|---|---|---|"]
        rows += [f"| {label(p)} | {p['measured']:.2f} | {sim_us(None, p):.2f} | {math.exp(b):.2f} |"
                 for p, b in zip(points, before)]
        rows += ["", f"rms log error {math.sqrt(np.mean(before ** 2)):.3f}; {sim.runs} simulations"]
        table = "\n".join(rows) + "\n"
        print(table)
        if args.table:
            with open(args.table, "w") as f:
                f.write(table)
        return
    # Integer keys are simulated rounded, so the steps must move them by whole units.
    scale = np.maximum(np.abs(x0), 1.0)
    fit = least_squares(residuals, x0, bounds=(lo, hi), x_scale=scale, diff_step=0.05,
                        max_nfev=args.max_evals)
    after = residuals(fit.x)

    rows = ["| point | measured us | before us | ratio | after us | ratio |", "|---|---|---|---|---|---|"]
    for p, b, a in zip(points, before, after):
        rows.append(f"| {label(p)} | {p['measured']:.2f} | {sim_us(None, p):.2f} | "
                    f"{math.exp(b):.2f} | {sim_us(list(fit.x), p):.2f} | {math.exp(a):.2f} |")
    rows.append("")
    rows.append("| parameter | start | fitted | bounds |")
    rows.append("|---|---|---|---|")
    for (keys, l, h, _), v0, x in zip(args.params, start, fit.x):
        rows.append(f"| `{', '.join(keys)}` | {fmt(keys[0], v0, integer_keys)} | {fmt(keys[0], x, integer_keys)} | "
                    f"{l:g}..{h:g} |")
    rows.append("")
    rows.append(f"rms log error {math.sqrt(np.mean(before ** 2)):.3f} -> {math.sqrt(np.mean(after ** 2)):.3f}; "
                f"{sim.runs} simulations; {fit.message}")
    table = "\n".join(rows) + "\n"
    print(table)
    if args.table:
        with open(args.table, "w") as f:
            f.write(table)
    data = " + ".join(os.path.basename(m) for m in args.measured)
    note = (f"{len(points)} points of {data}, workload "
            f"{os.path.basename(args.workload)}{' with ' + ' '.join(args.set) if args.set else ''}")
    fitted = {k: (fmt(k, x, integer_keys), f"[F] fitted to {data} (bounds {l:g}..{h:g})")
              for (keys, l, h, _), x in zip(args.params, fit.x) for k in keys}
    base_ref = os.path.relpath(os.path.abspath(args.hw), os.path.dirname(os.path.abspath(args.output)))
    with open(args.output, "w") as f:
        f.write(nested_yaml(base_ref, fitted, note))


if __name__ == "__main__":
    main()
