#!/usr/bin/python3
"""tools/calibrate.py end to end: it recovers a parameter it did not start at.

The "measured" times are npusim's own, on the GEMM with a core HBM rate of
10 B/cycle, at two tilings (the second through the CSV's `set` column); the
fit starts at 30 and must come back to 10 (within 5%), and say so in the
YAML it writes and in its residual table; --evaluate of the fitted file then
shows every point at ratio 1.00.
Usage: test_calibrate.py NPUSIM SOURCE_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile

npusim, src = sys.argv[1], sys.argv[2]
os.chdir(src)
with tempfile.TemporaryDirectory() as d:
    truth = os.path.join(d, "truth.json")
    k128 = "workload.tiling.tile_k=128"
    subprocess.run([npusim, "run", "-q", "--workload", "configs/workloads/gemm.yaml", "--set",
                    "hw.gm.core_bytes_per_cycle=10", "--report", truth], check=True)
    truth2 = os.path.join(d, "truth2.json")
    subprocess.run([npusim, "run", "-q", "--workload", "configs/workloads/gemm.yaml", "--set",
                    "hw.gm.core_bytes_per_cycle=10", "--set", k128, "--report", truth2], check=True)
    r, r2 = json.load(open(truth)), json.load(open(truth2))
    exec_us = next(k for k in r["kernels"] if k["name"] == "gemm")["exec_us"]["mean"]
    exec2 = next(k for k in r2["kernels"] if k["name"] == "gemm")["exec_us"]["mean"]
    if abs(exec2 / exec_us - 1) < 0.01:
        sys.exit(f"the two tilings take the same time ({exec_us} us): the second point adds nothing")
    csv = os.path.join(d, "measured.csv")
    with open(csv, "w") as f:
        f.write("kernel,metric,value_us,structure,seq_lens,source,set\n")
        f.write(f"gemm,exec_mean,{exec_us},gemm,-,npusim at core_bytes_per_cycle 10,\n")
        f.write(f"(all tasks),exec_mean,{r['totals']['exec_us_mean']},gemm,-,the same,\n")
        f.write(f"gemm,exec_mean,{exec2},gemm k128,-,the same,{k128}\n")
    out, table = os.path.join(d, "fitted.yaml"), os.path.join(d, "residuals.md")
    p = subprocess.run([sys.executable, "tools/calibrate.py", "--measured", csv, "--workload",
                        "configs/workloads/gemm.yaml", "--hw", "configs/hw/a2a3.yaml", "--param",
                        "gm.core_bytes_per_cycle=4:100:30", "--bin", npusim, "-o", out, "--table", table],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"calibrate.py failed:\n{p.stderr}")
    fitted = open(out).read()
    m = re.search(r"core_bytes_per_cycle: ([0-9.]+)\s+# \[F\] fitted to measured.csv", fitted)
    if not m:
        sys.exit(f"no fitted, tagged core_bytes_per_cycle in:\n{fitted}")
    if abs(float(m.group(1)) - 10) > 0.5:
        sys.exit(f"fitted {m.group(1)}, expected 10 +- 0.5")
    if not re.search(r"^base: .*configs/hw/a2a3.yaml$", fitted, re.M):
        sys.exit(f"the fitted file does not name its base:\n{fitted}")
    rows = [l for l in open(table) if l.startswith("| gemm exec_mean")]
    if len(rows) != 2 or not all(r.rstrip().endswith("| 1.00 |") for r in rows):
        sys.exit(f"the residual table does not show both points fitted:\n{open(table).read()}")
    p = subprocess.run([sys.executable, "tools/calibrate.py", "--measured", csv, "--workload",
                        "configs/workloads/gemm.yaml", "--hw", out, "--bin", npusim, "--evaluate"],
                       capture_output=True, text=True)
    rows = [l for l in p.stdout.splitlines() if l.startswith("| gemm exec_mean")]
    if p.returncode != 0 or [r.split("|")[1].strip() for r in rows] != ["gemm exec_mean (gemm)",
                                                                        "gemm exec_mean (gemm k128)"]:
        sys.exit(f"--evaluate did not label both structures:\n{p.stdout}{p.stderr}")
    if not all(r.rstrip().endswith("| 1.00 |") for r in rows):
        sys.exit(f"--evaluate of the fitted file is off:\n{p.stdout}")
print("calibrate.py recovered core_bytes_per_cycle =", m.group(1))
