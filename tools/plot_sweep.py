#!/usr/bin/python3
"""Plot a results CSV of `npusim sweep`: one line per --hue value, one panel per
--facet value, only rows with status ok.

  tools/plot_sweep.py results.csv --x AXIS --y METRIC [--hue AXIS] [--facet AXIS]
                      [--where AXIS=VALUE ...] -o fig.png

AXIS is a column of the CSV (a swept key such as workload.tiling.scope1_k_chunk,
or hw / workload when the base file is swept); METRIC a numeric column
(total_us, total_cycles, launches, dma_count, roofline_ratio, ...). Every other
swept axis must be fixed, by --where or by having one value in the CSV: two rows
on the same line at the same x are an error, not an average.

Needs matplotlib from Debian (python3-matplotlib); the first line runs Debian's
/usr/bin/python3, and run by another python3 without matplotlib it hands over
to /usr/bin/python3.
"""
import argparse
import csv
import math
import os
import sys

FIXED = ["point", "status", "error"]  # not axes


def fail(msg):
    sys.exit("plot_sweep: " + msg)


def number(s):
    try:
        return float(s)
    except ValueError:
        return None


def short_key(key):
    """workload.tiling.scope1_k_chunk -> scope1_k_chunk"""
    return key.rsplit(".", 1)[-1]


def value_labels(values):
    """Readable labels for axis values: file paths become their name without
    directory, extension and the prefix the names share."""
    if not values or not all(v.endswith((".yaml", ".yml")) for v in values):
        return {v: v for v in values}
    stems = {v: os.path.splitext(os.path.basename(v))[0] for v in values}
    if len(values) > 1:
        prefix = os.path.commonprefix(list(stems.values()))
        prefix = prefix[: prefix.rfind("_") + 1] if "_" in prefix else ""
        stems = {v: s[len(prefix):] or s for v, s in stems.items()}
    return stems


def ordered(values):
    """Numbers in numeric order, anything else in order of first appearance."""
    seen = list(dict.fromkeys(values))
    if all(number(v) is not None for v in seen):
        return sorted(seen, key=number)
    return seen


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv", help="results CSV written by npusim sweep")
    ap.add_argument("--x", required=True, help="axis column on the x axis")
    ap.add_argument("--y", required=True, help="metric column on the y axis (e.g. total_us)")
    ap.add_argument("--hue", help="axis column: one line per value")
    ap.add_argument("--facet", help="axis column: one panel per value")
    ap.add_argument("--where", action="append", default=[], metavar="AXIS=VALUE",
                    help="keep only rows where AXIS has VALUE (repeatable)")
    ap.add_argument("--title", help="figure title (default: y vs x)")
    ap.add_argument("--ylabel", help="y axis label (default: the metric's name)")
    ap.add_argument("--logx", choices=["auto", "yes", "no"], default="auto",
                    help="log2 x scale (auto: numeric x spanning a factor of 8 or more)")
    ap.add_argument("-o", "--output", required=True, help="image file (.png, .svg, .pdf)")
    a = ap.parse_args(argv)

    with open(a.csv, newline="") as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        rows = list(reader)
    if "status" not in columns:
        fail(f"{a.csv}: not a sweep results CSV (no status column)")
    metrics_start = columns.index("status")
    axes = columns[1:metrics_start]
    metrics = [c for c in columns[metrics_start:] if c not in FIXED]

    def need(col, kinds, what):
        if col not in kinds:
            fail(f"--{what} {col}: no such {'axis' if what != 'y' else 'metric'} column in {a.csv}; "
                 f"one of: {', '.join(kinds)}")

    need(a.x, axes, "x")
    need(a.y, metrics, "y")
    if a.hue:
        need(a.hue, axes, "hue")
    if a.facet:
        need(a.facet, axes, "facet")
    for w in a.where:
        if "=" not in w:
            fail(f"--where {w}: expected AXIS=VALUE")
        k, v = w.split("=", 1)
        need(k, axes, "where")
        rows = [r for r in rows if r[k] == v]
        if not rows:
            fail(f"--where {w}: no row has that value")

    failed = [r for r in rows if r["status"] != "ok"]
    ok = [r for r in rows if r["status"] == "ok" and number(r[a.y]) is not None]
    if not ok:
        fail("no row with status ok to plot")

    # Every other swept axis must be fixed where x, hue and facet are: either one
    # value overall, or one that moves with them (a zip group partner).
    used = [c for c in (a.x, a.hue, a.facet) if c]
    for k in axes:
        if k in used:
            continue
        by_place = {}
        for r in ok:
            by_place.setdefault(tuple(r[c] for c in used), set()).add(r[k])
        if any(len(v) > 1 for v in by_place.values()):
            vals = ordered([r[k] for r in ok])
            fail(f"axis {k} has several values ({', '.join(vals)}): pick one with --where {k}=VALUE, "
                 f"or show it with --hue / --facet")

    facets = ordered([r[a.facet] for r in ok]) if a.facet else [None]
    hues = ordered([r[a.hue] for r in rows]) if a.hue else [None]
    hue_label = value_labels(hues) if a.hue else {}
    facet_label = value_labels(facets) if a.facet else {}
    # Axes that move with the facet (zip partners) are named in its titles.
    partners = []
    if a.facet:
        for k in axes:
            if k in used:
                continue
            per_facet = {}
            for r in ok:
                per_facet.setdefault(r[a.facet], set()).add(r[k])
            if all(len(v) == 1 for v in per_facet.values()) and len({r[k] for r in ok}) > 1:
                partners.append(k)
    xs_all = ordered([r[a.x] for r in rows])
    numeric_x = all(number(v) is not None for v in xs_all)
    x_label = value_labels(xs_all)

    try:
        import matplotlib
    except ImportError:  # another python3 first on PATH: Debian's has matplotlib
        if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
            os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
        fail(f"matplotlib is missing for {sys.executable}: apt-get install python3-matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(facets)
    ncols = min(n, 4)
    nrows = math.ceil(n / ncols)
    fig, axs = plt.subplots(nrows, ncols, figsize=(4.6 * ncols + 0.8, 3.8 * nrows + 0.6),
                            sharey=True, squeeze=False)
    logx = a.logx == "yes" or (a.logx == "auto" and numeric_x and min(map(number, xs_all)) > 0
                               and max(map(number, xs_all)) / min(map(number, xs_all)) >= 8)
    markers = "osD^v<>ph*"
    for i, fv in enumerate(facets):
        ax = axs[i // ncols][i % ncols]
        for j, hv in enumerate(hues):
            pts = {}
            for r in ok:
                if (a.facet and r[a.facet] != fv) or (a.hue and r[a.hue] != hv):
                    continue
                if r[a.x] in pts:
                    fail(f"two rows at {a.x}={r[a.x]}" + (f", {a.hue}={hv}" if a.hue else "")
                         + (f", {a.facet}={fv}" if a.facet else "") + ": fix the other axes with --where")
                pts[r[a.x]] = number(r[a.y])
            if not pts:
                continue
            keys = [x for x in xs_all if x in pts]
            xv = [number(x) for x in keys] if numeric_x else [xs_all.index(x) for x in keys]
            ax.plot(xv, [pts[x] for x in keys], marker=markers[j % len(markers)],
                    label=hue_label.get(hv) if a.hue else None)
        if logx:
            ax.set_xscale("log", base=2)
        if numeric_x:
            ax.set_xticks([number(x) for x in xs_all])
            ax.set_xticklabels(xs_all)
            ax.minorticks_off()
        else:
            ax.set_xticks(range(len(xs_all)))
            ax.set_xticklabels([x_label[x] for x in xs_all], rotation=20)
        ax.set_xlabel(short_key(a.x))
        if i % ncols == 0:
            ax.set_ylabel(a.ylabel or a.y)
        if a.facet:
            t = f"{short_key(a.facet)} = {facet_label[fv]}"
            for k in partners:
                t += f", {short_key(k)} = {next(r[k] for r in ok if r[a.facet] == fv)}"
            ax.set_title(t, fontsize="medium")
        ax.grid(True, alpha=0.3)
    for k in range(n, nrows * ncols):
        axs[k // ncols][k % ncols].set_visible(False)
    if a.hue:
        handles, labels = axs[0][0].get_legend_handles_labels()
        for ax in axs.flat[1:n]:
            for h, l in zip(*ax.get_legend_handles_labels()):
                if l not in labels:
                    handles.append(h)
                    labels.append(l)
        fig.legend(handles, labels, title=short_key(a.hue), loc="upper right", fontsize="small")
    title = a.title or f"{a.y} vs {short_key(a.x)}"
    if a.where:
        title += "  (" + ", ".join(a.where) + ")"
    fig.suptitle(title)
    note = f"{len(ok)} points from {os.path.basename(a.csv)}"
    if failed:
        note += f"; {len(failed)} failed points not shown (see the CSV's error column)"
    fig.text(0.01, 0.01, note, fontsize="x-small", color="gray")
    fig.tight_layout(rect=(0, 0.03, 0.86 if a.hue else 1, 0.95))
    fig.savefig(a.output, dpi=120)
    print(f"plot_sweep: wrote {a.output} ({len(ok)} points)", file=sys.stderr)


if __name__ == "__main__":
    main()
