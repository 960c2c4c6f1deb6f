#!/usr/bin/env python3
"""Loads saebaram map pages in headless Chromium (via chromedriver, stdlib only) and reports
file size, time until the map is interactive and time to switch launch windows.

"Interactive" is `window.saebaramMap.readyMs`: performance.now() (ms since navigation start)
in the first animation frame after the base map, the first window, the timeline and the
panel are drawn. Each page is loaded RUNS times in a fresh tab load; medians are reported.

usage: measure.py RUNS PAGE.html [PAGE.html ...]
"""
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def call(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r)["value"]


def main():
    runs, pages = int(sys.argv[1]), sys.argv[2:]
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    driver = subprocess.Popen([CHROMEDRIVER, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    profile = tempfile.mkdtemp(prefix="saebaram-map-bench-")
    try:
        for _ in range(200):
            try:
                call(port, "GET", "/status"); break
            except OSError:
                time.sleep(0.05)
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1366,768", f"--user-data-dir={profile}"]}}}}
        sid = call(port, "POST", "/session", caps)["sessionId"]
        js = lambda script: call(port, "POST", f"/session/{sid}/execute/sync", {"script": script, "args": []})
        print("| page | size (MB) | windows | landings drawn | interactive (ms, median of %d) | min..max | of which: HTML+JS load / JSON.parse / base map / first window | switch window (ms, median) |" % runs)
        print("|---|---|---|---|---|---|---|---|")
        for page in pages:
            url = "file://" + os.path.abspath(page)
            ready, switch, parts = [], [], []
            for _ in range(runs):
                call(port, "POST", f"/session/{sid}/url", {"url": "about:blank"})
                call(port, "POST", f"/session/{sid}/url", {"url": url})
                t0 = time.time()
                while not js("return !!(window.saebaramMap && window.saebaramMap.readyMs);"):
                    if time.time() - t0 > 60:
                        raise SystemExit(f"{page}: never ready")
                    time.sleep(0.02)
                ready.append(js("return window.saebaramMap.readyMs;"))
                parts.append(js("""var m = {}; performance.getEntriesByType('mark').forEach(function (e) { m[e.name] = e.startTime; });
                    return [m['sb-start'], m['sb-parsed'] - m['sb-start'], m['sb-base'] - m['sb-parsed'], m['sb-window'] - m['sb-base']];"""))
                switch.append(js("""var m = window.saebaramMap, n = m.counts().bars || 1, t = performance.now();
                    for (var i = 0; i < 10; i++) m.select((m.counts().selected + 7) % n);
                    return (performance.now() - t) / 10;"""))
            c = js("return window.saebaramMap.counts();")
            print(f"| {os.path.basename(page)} | {os.path.getsize(page) / 1e6:.2f} | {c.get('bars', 0)} | {c['landings']} "
                  f"| {statistics.median(ready):.0f} | {min(ready):.0f}..{max(ready):.0f} "
                  f"| {' / '.join('%.0f' % statistics.median(p[i] for p in parts) for i in range(4))} "
                  f"| {statistics.median(switch):.1f} |")
        call(port, "DELETE", f"/session/{sid}")
    finally:
        driver.terminate(); driver.wait()


if __name__ == "__main__":
    main()
