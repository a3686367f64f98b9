#!/usr/bin/env python3
"""Renders pipecalc's HTML reports in headless Chromium and checks each one:
it loads, its script reports every chart laid out with a non-zero size and
no label drawn past a chart's edge, as the browser measures the glyphs
(`<body data-charts="ok N">`), nothing was logged to the console as an
error, and its screenshot is not blank.

    python3 bench/browser_check.py PIPECALC CHROMIUM WORKDIR [--keep-screenshot PATH]

Exits 1 on any failure. Pillow, when installed, checks that the screenshot
has more than one colour; without it the PNG's size stands in.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

REPORTS = [
    ("estimate", ["estimate", "scenarios/clickstream.yaml"]),
    ("estimate-hourly", ["estimate", "scenarios/clickstream-hourly.yaml"]),
    ("estimate-elt", ["estimate", "scenarios/clickstream-elt.yaml"]),
    ("estimate-ranges", ["estimate", "scenarios/clickstream-uncertain.yaml"]),
    ("scale", ["scale", "scenarios/clickstream.yaml"]),
    ("workers", ["workers", "scenarios/sessionize.yaml"]),
    ("growth", ["growth", "scenarios/clickstream.yaml"]),
    ("compare", ["compare", "scenarios/clickstream.yaml", "scenarios/clickstream-10x.yaml"]),
]


def chromium(binary, profile, *args):
    return subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


def not_blank(png):
    try:
        from PIL import Image
    except ImportError:
        return os.path.getsize(png) > 20_000
    with Image.open(png) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        return colours is None or len(colours) > 10


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pipecalc")
    parser.add_argument("chromium")
    parser.add_argument("work")
    parser.add_argument("--keep-screenshot")
    args = parser.parse_args()
    failures = []
    for name, command in REPORTS:
        page = os.path.join(args.work, f"{name}.html")
        subprocess.run([args.pipecalc, *command, "--format", "html", "--output", page], check=True)
        profile = tempfile.mkdtemp(prefix="pipecalc-chromium-")
        try:
            dom = chromium(args.chromium, profile, "--enable-logging=stderr", "--v=0",
                           "--virtual-time-budget=2000", "--dump-dom", f"file://{page}")
            marker = re.search(r'data-charts="(\w+) (\d+)"', dom.stdout)
            console = [line for line in dom.stderr.splitlines()
                       if "CONSOLE" in line and ("error" in line.lower() or "Uncaught" in line)]
            png = os.path.join(args.work, f"{name}.png")
            shot = chromium(args.chromium, profile, "--window-size=1000,1600",
                            "--hide-scrollbars", f"--screenshot={png}", f"file://{page}")
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        problems = []
        if marker is None:
            problems.append("the page's check did not run (no data-charts on <body>)")
        elif marker.group(1) == "clipped":
            problems.append(f"a chart's label runs past its edge ({marker.group(2)} charts)")
        elif marker.group(1) != "ok":
            problems.append(f"a chart has no size ({marker.group(2)} charts)")
        if console:
            problems.append("console errors: " + "; ".join(console[:3]))
        if shot.returncode != 0 or not os.path.exists(png):
            problems.append("no screenshot: " + shot.stderr.strip()[-200:])
        elif not not_blank(png):
            problems.append("the screenshot is blank")
        if problems:
            failures.append(f"{name}: " + "; ".join(problems))
        else:
            print(f"browser: {name}.html loads, {marker.group(2)} charts laid out, no console errors, screenshot not blank")
        if name == "estimate" and args.keep_screenshot and os.path.exists(png):
            shutil.copy(png, args.keep_screenshot)
    for failure in failures:
        print(f"FAILED {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
