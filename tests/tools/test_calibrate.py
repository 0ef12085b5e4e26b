#!/usr/bin/python3
"""tools/calibrate.py end to end: it recovers a parameter it did not start at.

The "measured" times are npusim's own, on the GEMM with a core HBM rate of
10 B/cycle; the fit starts at 30 and must come back to 10 (within 5%), and
say so in the YAML it writes and in its residual table.
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
    subprocess.run([npusim, "run", "-q", "--workload", "configs/workloads/gemm.yaml", "--set",
                    "hw.gm.core_bytes_per_cycle=10", "--report", truth], check=True)
    r = json.load(open(truth))
    exec_us = next(k for k in r["kernels"] if k["name"] == "gemm")["exec_us"]["mean"]
    csv = os.path.join(d, "measured.csv")
    with open(csv, "w") as f:
        f.write("kernel,metric,value_us,structure,seq_lens,source\n")
        f.write(f"gemm,exec_mean,{exec_us},gemm,-,npusim at core_bytes_per_cycle 10\n")
        f.write(f"(all tasks),exec_mean,{r['totals']['exec_us_mean']},gemm,-,the same\n")
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
    if not rows or not rows[0].rstrip().endswith("| 1.00 |"):
        sys.exit(f"the residual table does not show the point fitted:\n{open(table).read()}")
print("calibrate.py recovered core_bytes_per_cycle =", m.group(1))
