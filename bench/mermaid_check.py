#!/usr/bin/env python3
"""Renders every Mermaid chart of pipecalc's Markdown reports with Mermaid
itself (from npm) in headless Chromium, as GitHub and GitLab draw them, and
checks what was drawn from the SVG:

- every chart renders, with no Mermaid error;
- a Gantt timeline's bars start and end where the report says (each bar's
  x and width against its start and end times, on one scale), and the
  deadline marker sits at the deadline;
- a line chart draws one line for each `line` it was given, on a numeric x
  axis labelled with its first and last value;
- a quadrant chart (freshness against cost) draws one point for each plan.

    python3 bench/mermaid_check.py PIPECALC CHROMIUM MERMAID_JS WORKDIR

MERMAID_JS is mermaid.min.js from the npm package `mermaid` (version 11).
Exits 1 on any failure.
"""
import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

REPORTS = [
    ("estimate", ["estimate", "scenarios/clickstream.yaml"]),
    ("estimate-10x", ["estimate", "scenarios/clickstream.yaml", "--scale", "40"]),
    ("estimate-telemetry", ["estimate", "scenarios/telemetry-wan.yaml"]),
    ("scale", ["scale", "scenarios/clickstream.yaml"]),
    ("workers", ["workers", "scenarios/sessionize.yaml"]),
    ("growth", ["growth", "scenarios/clickstream.yaml", "--from", "2010"]),
    ("compare", ["compare", "scenarios/clickstream.yaml", "scenarios/clickstream-hourly.yaml",
                 "scenarios/clickstream-streaming.yaml"]),
]

GANTT_TIME = "%Y-%m-%d %H:%M:%S"
START = datetime(2000, 1, 1)


def blocks(markdown):
    return re.findall(r"```mermaid\n(.*?)```", markdown, re.S)


def render(chromium, mermaid_js, work, diagrams):
    """Each diagram's rendered SVG, or an error, in order."""
    page = os.path.join(work, "page.html")
    pres = "\n".join(f'<pre class="mermaid" id="d{i}">{html.escape(d)}</pre>'
                     for i, d in enumerate(diagrams))
    with open(page, "w") as f:
        f.write(f"""<!doctype html><html><body>{pres}
<script src="file://{mermaid_js}"></script>
<script>
mermaid.initialize({{startOnLoad: false}});
mermaid.run({{querySelector: '.mermaid', suppressErrors: false}})
  .then(() => {{ document.body.setAttribute('data-rendered', 'ok'); }})
  .catch(e => {{ document.body.setAttribute('data-rendered', 'error: ' + e); }});
</script></body></html>""")
    profile = tempfile.mkdtemp(prefix="pipecalc-mermaid-")
    try:
        dom = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}",
                              "--allow-file-access-from-files", "--virtual-time-budget=10000",
                              "--dump-dom", f"file://{page}"],
                             capture_output=True, text=True, timeout=180).stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    status = re.search(r'data-rendered="([^"]*)"', dom)
    svgs = []
    for i in range(len(diagrams)):
        match = re.search(rf'<pre class="mermaid" id="d{i}"[^>]*>(.*?)</pre>', dom, re.S)
        svgs.append(match.group(1) if match else "")
    return (status.group(1) if status else "no result"), svgs


def check_gantt(source, svg):
    """Bars against the times written in the source, on one scale."""
    tasks = re.findall(r"^\s+(.+?) :(crit, |milestone, )?(\S+ \S+), (\S+ \S+|0s)$", source, re.M)
    # Mermaid draws the tasks in its own order; each rect's id ends in its
    # task's number, counted from 1 in the order written.
    found = re.findall(r'<rect id="[^"]*-task(\d+)"[^>]*x="([\d.]+)"[^>]*width="([\d.]+)"', svg)
    rects = [(x, width) for _, x, width in sorted(found, key=lambda r: int(r[0]))]
    if len(rects) != len(tasks):
        return [f"{len(rects)} bars drawn for {len(tasks)} tasks"]
    problems = []
    scale = None
    origin = None
    bars = []
    for (name, tag, start, end), (x, width) in zip(tasks, rects):
        start_s = (datetime.strptime(start, GANTT_TIME) - START).total_seconds()
        if tag.startswith("milestone"):
            bars.append((name, start_s, None, float(x) + float(width) / 2))
            continue
        end_s = (datetime.strptime(end, GANTT_TIME) - START).total_seconds()
        bars.append((name, start_s, end_s, float(x), float(width)))
    timed = [b for b in bars if b[2] is not None and b[2] > b[1]]
    if len(timed) >= 1:
        first = timed[0]
        origin = first[3] - 0  # the run starts at the first bar's start
        scale = first[4] / (first[2] - first[1])
    for bar in bars:
        if scale is None:
            break
        if bar[2] is None:
            expected = origin + bar[1] * scale
            if abs(bar[3] - expected) > 3:
                problems.append(f"the marker {bar[0]!r} is drawn at {bar[3]:.0f}, not {expected:.0f}")
            continue
        expected_x = origin + bar[1] * scale
        expected_width = (bar[2] - bar[1]) * scale
        if abs(bar[3] - expected_x) > 2 or abs(bar[4] - expected_width) > 2:
            problems.append(f"bar {bar[0]!r} drawn at {bar[3]:.0f}+{bar[4]:.0f}, "
                            f"not {expected_x:.0f}+{expected_width:.0f}")
    return problems


def check_lines(source, svg):
    lines = len(re.findall(r"^\s+line ", source, re.M))
    drawn = len(re.findall(r'<path[^>]*class="[^"]*line-plot', svg)) or \
        len(re.findall(r'<g class="line-plot-\d+"', svg))
    problems = []
    if drawn != lines:
        problems.append(f"{drawn} lines drawn for {lines} given")
    axis = re.search(r'x-axis "[^"]*" (\S+) --> (\S+)', source)
    if axis is None:
        problems.append("the x axis is not numeric")
    return problems


def check_quadrant(source, svg):
    points = len(re.findall(r"^\s+.+: \[[\d.]+, [\d.]+\]$", source, re.M))
    drawn = len(re.findall(r"<circle", svg))
    return [] if drawn == points else [f"{drawn} points drawn for {points} plans"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pipecalc")
    parser.add_argument("chromium")
    parser.add_argument("mermaid_js")
    parser.add_argument("work")
    args = parser.parse_args()
    failures = []
    checked = 0
    for name, command in REPORTS:
        markdown = subprocess.run([args.pipecalc, *command, "--format", "markdown"],
                                  capture_output=True, text=True, check=True).stdout
        diagrams = blocks(markdown)
        status, svgs = render(args.chromium, os.path.abspath(args.mermaid_js), args.work, diagrams)
        if status != "ok":
            failures.append(f"{name}: Mermaid did not render: {status}")
            continue
        for index, (source, svg) in enumerate(zip(diagrams, svgs)):
            kind = next((line.strip() for line in source.splitlines()
                         if line.strip() and not line.strip().startswith("%%")), "")
            if "<svg" not in svg:
                problems = ["nothing drawn"]
            elif kind.startswith("gantt"):
                problems = check_gantt(source, svg)
            elif kind.startswith("xychart"):
                problems = check_lines(source, svg) if "    line " in source else []
            elif kind.startswith("quadrantChart"):
                problems = check_quadrant(source, svg)
            else:
                problems = []
            checked += 1
            failures.extend(f"{name}, chart {index + 1} ({kind}): {p}" for p in problems)
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    print(f"checked: {checked} Mermaid charts of {len(REPORTS)} Markdown reports render where they say")
    return 0


if __name__ == "__main__":
    sys.exit(main())
