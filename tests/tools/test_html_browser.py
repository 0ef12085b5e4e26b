#!/usr/bin/python3
"""The HTML report of the fused Qwen3-32B layer in headless Chromium.

`npusim run --html` writes the page of PR 112's fused QK-RoPE layer on a2a3;
it must be under 2 MB, and Chromium must
- build the DOM with every chart: a bar per kernel of the report in the time
  chart, a bar per critical-path kernel (and one for the time before the
  first dispatch) in the path chart, the whole run's DMA histogram and one
  per kernel that made DMAs, each with a column per bucket;
- log no console message (a script error, a load the page's
  Content-Security-Policy refused): checked to be seen on a copy of the page
  with an inline script added, which the policy refuses;
- paint the charts: a screenshot (at a quarter scale, to keep it small) has
  pixels of each chart's colour (time bars #4e79a7, path bars #e15759,
  histogram columns #59a14f).
Exits 77 (ctest: skipped) when no chromium is installed; tools/ci_extra.sh
installs it.
Usage: test_html_browser.py NPUSIM SOURCE_DIR
"""
import html.parser
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

npusim, src = sys.argv[1], sys.argv[2]
browser = shutil.which("chromium") or shutil.which("chromium-browser")
if not browser:
    print("SKIP: no chromium on PATH (apt-get install chromium; tools/ci_extra.sh installs it)")
    sys.exit(77)
os.chdir(src)


def chromium(d, *args):
    """Runs headless Chromium with a profile of its own; (stdout, stderr)."""
    profile = tempfile.mkdtemp(dir=d)
    p = subprocess.run([browser, "--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage",
                        "--hide-scrollbars", "--no-first-run", "--user-data-dir=" + profile,
                        "--enable-logging=stderr", "--v=0", *args], capture_output=True, text=True, timeout=180)
    if p.returncode != 0:
        sys.exit(f"chromium {' '.join(args)} failed ({p.returncode}):\n{p.stderr}")
    return p.stdout, p.stderr


def console(stderr):
    return [l for l in stderr.splitlines() if ":CONSOLE" in l]


class Charts(html.parser.HTMLParser):
    """The chart <svg>s of a DOM: (class, [class of each <rect>], data-label or data-bucket of each)."""

    def __init__(self):
        super().__init__()
        self.charts = []
        self.svg = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "chart" in a.get("class", "").split():
            self.svg = (a["class"], [], [])
            self.charts.append(self.svg)
        elif tag == "rect" and self.svg is not None:
            self.svg[1].append(a.get("class"))
            self.svg[2].append(a.get("data-label", a.get("data-bucket")))

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg = None


def pixels(png):
    """Counts of each RGB colour of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = open(png, "rb").read()
    width, height = struct.unpack(">II", data[16:24])
    depth, kind, interlace = data[24], data[25], data[28]
    if depth != 8 or kind not in (2, 6) or interlace:
        sys.exit(f"{png}: a PNG of bit depth {depth}, colour type {kind}, interlace {interlace}: not read here")
    bpp = 3 if kind == 2 else 4
    idat, pos = b"", 8
    while pos < len(data):
        n, = struct.unpack(">I", data[pos:pos + 4])
        if data[pos + 4:pos + 8] == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw, stride = zlib.decompress(idat), width * bpp
    prev, counts = bytearray(stride), {}
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):  # undo the row's filter (PNG spec, 9.2)
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp):
            rgb = bytes(line[x:x + 3]).hex()
            counts[rgb] = counts.get(rgb, 0) + 1
        prev = line
    return counts


failures = []
with tempfile.TemporaryDirectory() as d:
    report, page = os.path.join(d, "r.json"), os.path.join(d, "report.html")
    subprocess.run([npusim, "run", "-q", "--workload", "configs/workloads/qwen3_32b_decode_fused_qkrope.yaml",
                    "--report", report, "--html", page], check=True)
    r = json.load(open(report))
    size = os.path.getsize(page)
    print(f"the fused layer's page: {size} bytes")
    if size >= 2_000_000:
        failures.append(f"the page is {size} bytes, not under 2 MB")

    dom, err = chromium(d, "--dump-dom", "file://" + page)
    if console(err):
        failures.append("console messages:\n" + "\n".join(console(err)))
    parser = Charts()
    parser.feed(dom)
    charts = parser.charts
    by_class = {}
    for cls, rects, labels in charts:
        by_class.setdefault(cls, []).append((rects, labels))
    kernels = [k["name"] for k in r["kernels"]]
    time = by_class.get("chart time", [])
    if len(time) != 1 or sorted(time[0][1]) != sorted(kernels):
        failures.append(f"the time chart's bars {time[0][1] if time else None} are not the kernels {kernels}")
    path = by_class.get("chart path", [])
    want = ["(before the first dispatch)"] + [k["name"] for k in r["critical_path"]["kernels"]]
    if len(path) != 1 or sorted(path[0][1]) != sorted(want):
        failures.append(f"the path chart's bars {path[0][1] if path else None} are not {want}")
    hists = by_class.get("chart hist", [])
    with_dmas = sum(1 for k in r["kernels"] if k["dma_count"] > 0)
    if len(hists) != 1 + with_dmas:
        failures.append(f"{len(hists)} DMA histograms, expected 1 + {with_dmas} kernels with DMAs")
    buckets = set(r["totals"]["dma_size_histogram"])
    for rects, labels in hists:
        if not buckets <= set(labels) or any(c != "col" for c in rects):
            failures.append(f"a histogram's columns {labels} miss buckets of {sorted(buckets)}")
            break

    # The console check sees what it looks for: an inline script, refused.
    control = os.path.join(d, "control.html")
    open(control, "w").write(open(page).read().replace("<body>", "<body><script>1</script>", 1))
    _, err = chromium(d, "--dump-dom", "file://" + control)
    if not console(err):
        failures.append("the console check saw nothing on a page with a refused inline script: it checks nothing")

    shot = os.path.join(d, "shot.png")
    chromium(d, "--force-device-scale-factor=0.25", "--window-size=1250,12000", "--screenshot=" + shot,
             "file://" + page)
    counts = pixels(shot)
    for name, colour in (("time bars", "4e79a7"), ("path bars", "e15759"), ("histogram columns", "59a14f")):
        print(f"{name} #{colour}: {counts.get(colour, 0)} pixels")
        if counts.get(colour, 0) < 100:
            failures.append(f"the screenshot has {counts.get(colour, 0)} pixels of the {name}' #{colour}")

if failures:
    sys.exit("\n".join(failures))
print(f"ok: {len(charts)} charts drawn, no console message")
