#!/usr/bin/env python3
"""Single-instruction cycle table: npusim against pto-isa's and pypto's references.

    tools/micro_table.py [--hw configs/hw/a2a3.yaml] [--bin build/bin/npusim]
                         [--markdown-out FILE] [--keep DIR] [--old]

Rebuilds the tables of ../shared/calibration/ptoisa_micro.md (the first one row
by row, and the GEMM m16 k1024 n128 table) on the given hardware file: one small
text program per row (the row's op, shape and dtype, plus the setup the op needs
so that its operands are written before it reads them), run with
`npusim run --program P --hw HW --set hw.clock_ghz=1 --report R.json -q`.

What the two npusim columns mean:
  - npusim busy: how long the op held its pipe, in cycles: the report's
    `busy_cycles` of the op's own site (each op sits alone under site "op"; the
    setup is under other sites). It is what the trace's pipe-lane bar shows: for
    a GM transfer, the engine's setup + the transfer, without the memory latency
    after which the data is visible; for anything else, issue to end.
  - npusim delta: total_cycles of the program with the op minus total_cycles of
    the same program without it (setup kept). It adds to busy what the op puts on
    the critical path beyond its pipe time (the GM/L2 latency of a transfer);
    it can be less than busy when the op overlaps setup on another pipe.
  At hw.clock_ghz=1 cycles and ns coincide; npusim's cost model is in cycles, so
  the clock does not change them.
The reference columns (pto-isa cost model, profiled, pypto dev-cal) are copied
from ptoisa_micro.md; see that file for where they come from. The ratios are
npusim busy / reference.

Python 3 standard library only. Exit 0 when every program ran, 1 otherwise.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DTYPE_BYTES = {"bf16": 2, "fp16": 2, "fp32": 4, "int32": 4}

# ---------------------------------------------------------------------------
# Reference values, copied from /work/shared/calibration/ptoisa_micro.md
# (shared/calibration/ptoisa_micro.md, first table; "old" = its npusim busy and
# delta columns, npusim main of 2026-11-30 with the shipped a2a3.yaml, printed
# only with --old). A string keeps the file's annotation ("51*" = inferred from
# the test's accuracy field, not run); the ratio uses its number.
# key: (op column, shape, dtype, cost model, profiled, pypto dev-cal, old busy, old delta)
# ---------------------------------------------------------------------------
REFS = {
    "tload_ub_16x512": ("TLOAD GM->UB (tload)", "16x512", "bf16", 279, None, None, 347, 547),
    "tload_l1_64x128": ("TLOAD GM->L1 (tload)", "64x128", "bf16", 209, None, None, 277, 477),
    "tstore_ub_16x256": ("TSTORE UB->GM (tstore)", "16x256", "bf16", 74, None, None, 142, 342),
    "tstore_l0c_16x64": ("TSTORE L0C->GM (tstore)", "16x64", "fp32", 51, None, 235.2, 168, 368),
    "tmov_l0a_16x256": ("TEXTRACT L1->L0A (tmov)", "16x256", "bf16", 33, None, 63.2, 42, 42),
    "tmov_l0b_256x128": ("TEXTRACT L1->L0B (tmov)", "256x128", "bf16", 512, None, 767.4, 522, 522),
    "tmatmul_16x256x128": ("TMATMUL (tmatmul)", "m16 k256 n128", "bf16", 134, None, 149, 134, 134),
    "tmatmul_acc_16x128x64": ("TMATMUL_ACC (tmatmul acc)", "m16 k128 n64", "bf16", 38, None, 53, 38, 38),
    "vadd_16x256_fp32": ("TADD (vadd)", "16x256", "fp32", 138, None, None, 152, 152),
    "vmul_1x64": ("TMUL (vmul)", "1x64", "fp32", 12, None, None, 26, 26),
    "vexp_8x64": ("TEXP (vexp)", "8x64", "fp32", 29, None, None, 40, 40),
    "vrowsum_8x64": ("TROWSUM (vrowsum)", "8x64", "fp32", 51, None, None, 56, 56),
    "vcast_16x256": ("TCVT fp32->bf16 (vcast)", "16x256", "fp32->bf16", 144, None, None, 88, 88),
    "vrowexpmul_16x128": ("TROWEXPANDMUL (vrowexpmul)", "16x128 x 16x1", "fp32", 74, None, None, 88, 88),
    "vadd_64x64_fp32": ("TADD (vadd)", "64x64", "fp32", 138, 160, None, 152, 152),
    "vadd_64x64_int32": ("TADD (vadd)", "64x64", "int32", 138, 151, None, 152, 152),
    "vadd_16x256_fp16": ("TADD (vadd)", "16x256", "fp16", 74, 92, None, 88, 88),
    "vadd_64x64_int16": ("TADD int16: no int16 in npusim; fp16 proxy (same bytes)", "64x64", "int16 (fp16)",
                         140, 167, None, 88, 88),
    "vrowsum_64x64": ("TROWSUM (vrowsum)", "64x64", "fp32", "51*", 492, None, 280, 280),
    # The file's row is "TROWEXPAND: no plain op; vrowexpadd proxy"; npusim has vrowexpand now.
    "vrowexpand_64x64": ("TROWEXPAND (vrowexpand)", "64x64", "fp32", "70*", 933, None, 152, 152),
    "tmatmul_splitk5": ("TMATMUL split-K x5, last op (tmatmul acc)", "m128 k128 n64", "fp16", 262,
                        "262 (acc=1.0: model value)", 277, 262, 1310),
    "tmatmul_120x110x50_fp32": ("TMATMUL (tmatmul)", "m120 k110 n50", "fp32", 902,
                                "902 (acc=1.0: model value)", 917, 902, 902),
    "tload_ub_128x128_fp32": ("TLOAD GM->UB (tload) [extra: tload c01]", "128x128", "fp32", "1119*", 776, None,
                              1187, 1387),
}

# The GEMM table (same file, second table): m16 k1024 n128 fp16->fp32, base 16x256x128.
# metric: (old npusim L0B single, old npusim L0B split, pto-isa perf_sim, pypto dev-cal HAND)
GEMM_REFS = [
    ("total (kernel)", 5629, 5575, 4516, None),
    ("MTE2 busy", 4304, 4304, 3760, None),
    ("MTE1 busy", 2256, 2296, 2180, 3322.2),
    ("CUBE busy", 536, 560, 536, 596),
    ("FIXPIPE busy", 269, 269, 101, 235.2),
]


def num(v):
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    return float(v.split()[0].rstrip("*"))


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if isinstance(v, float) and not v.is_integer():
        return f"{v:.1f}"
    return str(int(v))


def ratio(a, b):
    b = num(b)
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


# ---------------------------------------------------------------------------
# Programs
# ---------------------------------------------------------------------------
class Prog:
    """One kernel, one task: instructions on the cube stream or vec 0, each
    under a site; `role` says whether it stays in the program without the op."""

    ALIGN = 512  # bytes; every tile starts on a 512 B boundary of its buffer

    def __init__(self):
        self.tensors = []  # (name, rows, cols, dtype, kind)
        self.instrs = []  # (stream, text, site, removable)
        self.sites = ["launch"]
        self.next_addr = {}
        self.reads, self.writes = [], []

    def tensor(self, name, rows, cols, dtype, kind):
        self.tensors.append((name, rows, cols, dtype, kind))
        nbytes = rows * cols * DTYPE_BYTES[dtype]
        (self.writes if kind == "out" else self.reads).append(f"{name}:0..{nbytes}")
        return name

    def tile(self, space, rows, cols, dtype, at=None):
        """A tile in `space`: a fresh address, or `at` (bytes) to reuse one."""
        if at is None:
            at = self.next_addr.get(space, 0)
            size = rows * cols * DTYPE_BYTES[dtype]
            self.next_addr[space] = at + (size + self.ALIGN - 1) // self.ALIGN * self.ALIGN
        return f"{space}[{at}+{rows}x{cols} {dtype}]"  # a tile's offset is in bytes

    def add(self, stream, text, site="setup", removable=False):
        if site not in self.sites:
            self.sites.append(site)
        self.instrs.append((stream, text, site, removable))

    def text(self, with_op):
        out = ["# npusim program v1 (tools/micro_table.py)"]
        for name, r, c, dt, kind in self.tensors:
            out.append(f"tensor {name} [{r},{c}] {dt} {kind}")
        for i, s in enumerate(self.sites):
            out.append(f'site {i} "micro: {s}"')
        out.append("kernel 0 micro")
        for stream in ("cube", "vec 0"):
            out.append(f"  {stream}")
            for st, t, site, removable in self.instrs:
                if st == stream and (with_op or not removable):
                    out.append(f"    {t} @{self.sites.index(site)}")
        out.append("end")
        out.append(f"task 0 kernel=0 site=0 reads=[{','.join(self.reads)}] writes=[{','.join(self.writes)}]")
        return "\n".join(out) + "\n"


def gm(name, rows, cols):
    return f"{name}[0+{rows}x{cols}/{cols}]"


def p_tload(space, rows, cols, dt):
    p = Prog()
    p.tensor("x", rows, cols, dt, "in")
    stream = "cube" if space == "L1" else "vec 0"
    p.add(stream, f"tload {p.tile(space, rows, cols, dt)} <- {gm('x', rows, cols)}", "op", True)
    return p


def p_tstore_ub(rows, cols, dt):
    p = Prog()
    p.tensor("y", rows, cols, dt, "out")
    t = p.tile("UB", rows, cols, dt)
    p.add("vec 0", f"vfill {t} <- 1")
    p.add("vec 0", f"tstore {gm('y', rows, cols)} <- {t}", "op", True)
    return p


def cube_operands(p, m, k, n, dt, dt_acc="fp32"):
    """Setup of a matmul: A [m,k] and B [k,n] loaded into L1 and moved to L0A/L0B.
    Returns the L0A, L0B and L0C tiles."""
    p.tensor("a", m, k, dt, "in")
    p.tensor("b", k, n, dt, "in")
    l1a, l1b = p.tile("L1", m, k, dt), p.tile("L1", k, n, dt)
    l0a, l0b = p.tile("L0A", m, k, dt), p.tile("L0B", k, n, dt)
    l0c = p.tile("L0C", m, n, dt_acc)
    p.add("cube", f"tload {l1a} <- {gm('a', m, k)}")
    p.add("cube", f"tload {l1b} <- {gm('b', k, n)}")
    p.add("cube", f"tmov {l0a} <- {l1a}")
    p.add("cube", f"tmov {l0b} <- {l1b}")
    return l0a, l0b, l0c


def p_tstore_l0c(m, n):
    p = Prog()
    l0a, l0b, l0c = cube_operands(p, m, 16, n, "bf16")
    p.add("cube", f"tmatmul {l0c} <- {l0a} {l0b}")
    p.tensor("y", m, n, "fp32", "out")
    p.add("cube", f"tstore {gm('y', m, n)} <- {l0c}", "op", True)
    return p


def p_tmov(dst, rows, cols, dt):
    p = Prog()
    p.tensor("x", rows, cols, dt, "in")
    l1 = p.tile("L1", rows, cols, dt)
    p.add("cube", f"tload {l1} <- {gm('x', rows, cols)}")
    p.add("cube", f"tmov {p.tile(dst, rows, cols, dt)} <- {l1}", "op", True)
    return p


def p_tmatmul(m, k, n, dt, acc=False):
    p = Prog()
    l0a, l0b, l0c = cube_operands(p, m, k, n, dt)
    if acc:  # the accumulator must hold a value first
        p.add("cube", f"tmatmul {l0c} <- {l0a} {l0b}")
    p.add("cube", f"tmatmul {l0c} <- {l0a} {l0b}{' acc' if acc else ''}", "op", True)
    return p


def p_splitk(m, k, n, dt, steps):
    """`steps` matmuls accumulating into one L0C; the last is the op, the
    first steps-1 are under site "splitk"; the delta removes all of them."""
    p = Prog()
    l0a, l0b, l0c = cube_operands(p, m, k, n, dt)
    for i in range(steps):
        site = "op" if i == steps - 1 else "splitk"
        p.add("cube", f"tmatmul {l0c} <- {l0a} {l0b}{' acc' if i else ''}", site, True)
    return p


def p_vec(op, dt, a_shape, b_shape=None, dst_shape=None, dst_dt=None):
    """A vector op on UB tiles filled by vfill (VEC pipe, site "setup")."""
    p = Prog()
    one = "1" if dt == "int32" else "0.5"
    a = p.tile("UB", *a_shape, dt)
    p.add("vec 0", f"vfill {a} <- {one}")
    srcs = [a]
    if b_shape:
        b = p.tile("UB", *b_shape, dt)
        p.add("vec 0", f"vfill {b} <- {one}")
        srcs.append(b)
    d = p.tile("UB", *(dst_shape or a_shape), dst_dt or dt)
    p.add("vec 0", f"{op} {d} <- {' '.join(srcs)}", "op", True)
    return p


ROWS = [
    ("tload_ub_16x512", lambda: p_tload("UB", 16, 512, "bf16")),
    ("tload_l1_64x128", lambda: p_tload("L1", 64, 128, "bf16")),
    ("tstore_ub_16x256", lambda: p_tstore_ub(16, 256, "bf16")),
    ("tstore_l0c_16x64", lambda: p_tstore_l0c(16, 64)),
    ("tmov_l0a_16x256", lambda: p_tmov("L0A", 16, 256, "bf16")),
    ("tmov_l0b_256x128", lambda: p_tmov("L0B", 256, 128, "bf16")),
    ("tmatmul_16x256x128", lambda: p_tmatmul(16, 256, 128, "bf16")),
    ("tmatmul_acc_16x128x64", lambda: p_tmatmul(16, 128, 64, "bf16", acc=True)),
    ("vadd_16x256_fp32", lambda: p_vec("vadd", "fp32", (16, 256), (16, 256))),
    ("vmul_1x64", lambda: p_vec("vmul", "fp32", (1, 64), (1, 64))),
    ("vexp_8x64", lambda: p_vec("vexp", "fp32", (8, 64))),
    ("vrowsum_8x64", lambda: p_vec("vrowsum", "fp32", (8, 64), dst_shape=(8, 1))),
    ("vcast_16x256", lambda: p_vec("vcast", "fp32", (16, 256), dst_dt="bf16")),
    ("vrowexpmul_16x128", lambda: p_vec("vrowexpmul", "fp32", (16, 128), (16, 1))),
    ("vadd_64x64_fp32", lambda: p_vec("vadd", "fp32", (64, 64), (64, 64))),
    ("vadd_64x64_int32", lambda: p_vec("vadd", "int32", (64, 64), (64, 64))),
    ("vadd_16x256_fp16", lambda: p_vec("vadd", "fp16", (16, 256), (16, 256))),
    ("vadd_64x64_int16", lambda: p_vec("vadd", "fp16", (64, 64), (64, 64))),
    ("vrowsum_64x64", lambda: p_vec("vrowsum", "fp32", (64, 64), dst_shape=(64, 1))),
    ("vrowexpand_64x64", lambda: p_vec("vrowexpand", "fp32", (64, 1), dst_shape=(64, 64))),
    ("tmatmul_splitk5", lambda: p_splitk(128, 128, 64, "fp16", 5)),
    ("tmatmul_120x110x50_fp32", lambda: p_tmatmul(120, 110, 50, "fp32")),
    ("tload_ub_128x128_fp32", lambda: p_tload("UB", 128, 128, "fp32")),
]


def p_gemm_single(m=16, k=1024, n=128, base_k=256, dt="fp16"):
    """GEMM m16 k1024 n128, base 16x256x128, L0B single: per K-step load A and
    B into L1 (double-buffered), move them whole to L0A (double-buffered) and
    L0B (one 256x128 tile fills all 64 KiB: the next move waits for the
    matmul), accumulate in L0C; then store C from L0C."""
    p = Prog()
    p.tensor("a", m, k, dt, "in")
    p.tensor("b", k, n, dt, "in")
    p.tensor("c", m, n, "fp32", "out")
    l1a = [p.tile("L1", m, base_k, dt) for _ in range(2)]
    l1b = [p.tile("L1", base_k, n, dt) for _ in range(2)]
    l0a = [p.tile("L0A", m, base_k, dt) for _ in range(2)]
    l0b = p.tile("L0B", base_k, n, dt)
    l0c = p.tile("L0C", m, n, "fp32")
    for s in range(k // base_k):
        k0 = s * base_k
        p.add("cube", f"tload {l1a[s % 2]} <- a[{k0}+{m}x{base_k}/{k}]", "load a")
        p.add("cube", f"tload {l1b[s % 2]} <- b[{k0 * n}+{base_k}x{n}/{n}]", "load b")
        p.add("cube", f"tmov {l0a[s % 2]} <- {l1a[s % 2]}", "mov a")
        p.add("cube", f"tmov {l0b} <- {l1b[s % 2]}", "mov b")
        p.add("cube", f"tmatmul {l0c} <- {l0a[s % 2]} {l0b}{' acc' if s else ''}", "matmul")
    p.add("cube", f"tstore c[0+{m}x{n}/{n}] <- {l0c}", "store c")
    return p


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------
class RunError(Exception):
    pass


def run(args, tmp, name, program_text=None, extra=()):
    rep = os.path.join(tmp, name + ".json")
    cmd = [args.bin, "run", "--hw", args.hw, "--set", "hw.clock_ghz=1", "--report", rep, "-q"]
    if program_text is not None:
        prog = os.path.join(tmp, name + ".txt")
        with open(prog, "w") as f:
            f.write(program_text)
        cmd += ["--program", prog]
    cmd += list(extra)
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, env=env)
    if r.returncode != 0:
        raise RunError(f"{name}: npusim exit {r.returncode}: {r.stderr.strip() or r.stdout.strip()}\n"
                       f"  command: {' '.join(cmd)}")
    with open(rep) as f:
        return json.load(f)


def site_busy(report, site_suffix, op=None):
    """busy_cycles summed over the site entries whose site name ends in
    `site_suffix` (and whose op is `op`, when given)."""
    total, found = 0, False
    for s in report["sites"]:
        if s.get("op") == "launch":
            continue
        if str(s["site"]).endswith(site_suffix) and (op is None or s["op"] == op):
            total += s["busy_cycles"]
            found = True
    return total if found else None


def measure_row(args, tmp, key, build):
    p = build()
    with_op = run(args, tmp, key, p.text(True))
    without = run(args, tmp, key + ".without", p.text(False))
    busy = site_busy(with_op, ": op")
    if busy is None:
        raise RunError(f"{key}: no site 'micro: op' in the report")
    return busy, with_op["total_cycles"] - without["total_cycles"]


def gemm_pipes(report):
    """Busy per pipe of a cube-only GEMM from its site entries, by op: tload on
    MTE2, tmov on MTE1, tmatmul on CUBE, tstore (from L0C) on FIXPIPE."""
    by_op = {}
    for s in report["sites"]:
        by_op[s["op"]] = by_op.get(s["op"], 0) + s["busy_cycles"]
    k = report["kernels"]
    total = sum(x["task_cycles"] for x in k)
    return [total, by_op.get("tload", 0), by_op.get("tmov", 0), by_op.get("tmatmul", 0), by_op.get("tstore", 0)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hw", default=os.path.join(REPO, "configs/hw/a2a3.yaml"), help="hardware file")
    ap.add_argument("--bin", default=os.path.join(REPO, "build/bin/npusim"), help="npusim binary")
    ap.add_argument("--markdown-out", metavar="FILE", help="also write the tables to FILE")
    ap.add_argument("--keep", metavar="DIR", help="keep the programs and reports in DIR")
    ap.add_argument("--old", action="store_true",
                    help="add the file's old npusim busy and delta columns (npusim main of 2026-11-30)")
    ap.add_argument("--no-gemm", action="store_true", help="skip the GEMM table")
    args = ap.parse_args()
    if not os.path.isfile(args.bin):
        sys.exit(f"micro_table.py: no npusim binary at {args.bin} (build it, or give --bin)")
    if not os.path.isfile(args.hw):
        sys.exit(f"micro_table.py: no hardware file {args.hw}")

    tmpobj = None
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        tmp = args.keep
    else:
        tmpobj = tempfile.TemporaryDirectory(prefix="micro_table.")
        tmp = tmpobj.name

    failures = 0
    head = ["op (npusim mnemonic)", "shape", "dtype", "npusim busy", "npusim delta"]
    if args.old:
        head += ["old busy", "old delta"]
    head += ["pto-isa cost model", "profiled", "pypto dev-cal", "busy/cm", "busy/prof", "busy/pypto"]
    lines = [f"Single instructions on {os.path.relpath(args.hw)} at hw.clock_ghz=1 "
             f"(tools/micro_table.py; references: shared/calibration/ptoisa_micro.md)", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, build in ROWS:
        label, shape, dtype, cm, prof, pypto, old_busy, old_delta = REFS[key]
        try:
            busy, delta = measure_row(args, tmp, key, build)
        except RunError as e:
            print(f"micro_table.py: {e}", file=sys.stderr)
            failures += 1
            busy = delta = None
        cells = [label, shape, dtype, fmt(busy), fmt(delta)]
        if args.old:
            cells += [fmt(old_busy), fmt(old_delta)]
        cells += [fmt(cm), fmt(prof), fmt(pypto), ratio(busy, cm), ratio(busy, prof), ratio(busy, pypto)]
        lines.append("| " + " | ".join(cells) + " |")

    if not args.no_gemm:
        single = split = None
        try:
            single = gemm_pipes(run(args, tmp, "gemm_single", p_gemm_single().text(True)))
        except RunError as e:
            print(f"micro_table.py: {e}", file=sys.stderr)
            failures += 1
        try:  # the shipped generator: L0B moves in two 128-row halves, ping-pong in L0A/L0B
            split = gemm_pipes(run(args, tmp, "gemm_split", None, [
                "--workload", os.path.join(REPO, "configs/workloads/gemm.yaml"),
                "--set", "workload.shapes.M=16", "--set", "workload.shapes.N=128",
                "--set", "workload.shapes.K=1024", "--set", "workload.tiling.tile_m=16",
                "--set", "workload.tiling.tile_n=128", "--set", "workload.tiling.tile_k=256"]))
        except RunError as e:
            print(f"micro_table.py: {e}", file=sys.stderr)
            failures += 1
        gh = ["GEMM m16 k1024 n128 fp16->fp32, base 16x256x128", "npusim (L0B single)",
              "npusim (L0B split 2x128, ping-pong)"]
        if args.old:
            gh += ["old (L0B single)", "old (L0B split)"]
        gh += ["pto-isa perf_sim", "ratio (L0B single)", "pypto dev-cal (HAND)"]
        lines += ["", "| " + " | ".join(gh) + " |", "|" + "---|" * len(gh)]
        for i, (metric, old_s, old_p, perf, pypto) in enumerate(GEMM_REFS):
            s = single[i] if single else None
            cells = [metric, fmt(s), fmt(split[i] if split else None)]
            if args.old:
                cells += [fmt(old_s), fmt(old_p)]
            cells += [fmt(perf), ratio(s, perf), fmt(pypto)]
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", "GEMM: total = the kernel's task_cycles (its task's start to end on the core group); "
                  "pipe busy = busy_cycles summed over the sites by op (tload MTE2, tmov MTE1, "
                  "tmatmul CUBE, tstore FIXPIPE). L0B single: tools/micro_table.py's own program; "
                  "L0B split: configs/workloads/gemm.yaml with the shapes and tiling --set."]

    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.markdown_out:
        try:
            with open(args.markdown_out, "w") as f:
                f.write(text)
        except OSError as e:
            sys.exit(f"micro_table.py: cannot write {args.markdown_out}: {e.strerror}")
    if tmpobj:
        tmpobj.cleanup()
    if failures:
        print(f"micro_table.py: {failures} program(s) failed", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
