#!/usr/bin/env python3
"""The memory floor of a WebKitGTK window on this machine, for comparison with the desktop app.

Opens one GTK window holding one WebKit web view set up as the desktop app sets up its own
(src-tauri/src/lib.rs: no compositing, no DMA-BUF renderer, the "document viewer" cache model, no
page cache, no WebGL), loads a blank page, waits until it has settled, and prints the
proportional set size (PSS) of the window's process and of WebKit's web and network processes,
in MB, as one JSON object: the same figure e2e/bench.mjs takes of the app. No Dossier code runs,
so whatever the app's figure is above this one is the app's; what is below it is WebKitGTK's,
GTK's and the graphics stack's, which no change to the app can take away. The window's process
here is a Python interpreter, not the app's Rust one: about 10 MB of it is Python's own.

    xvfb-run -a /usr/bin/python3 e2e/webkit_floor.py [--runs 3] [--settle 6]

Needs the system Python with PyGObject and WebKitGTK's introspection data (Debian: python3-gi
gir1.2-webkit2-4.1). Not a test and not part of `make bench`; docs/performance.md keeps its
figures.
"""

import argparse
import json
import os
import re
import subprocess
import sys


def pss_mb(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        return int(re.search(r"^Pss:\s+(\d+) kB", f.read(), re.M).group(1)) / 1024


def descendants(root):
    """Every process under `root`, and `root`."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
            except OSError:
                pass  # The process ended meanwhile.
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def window(settle_s):
    """Runs in the child: the window, then its own measurement once the page has settled."""
    import gi

    gi.require_version("Gtk", "3.0")
    gi.require_version("WebKit2", "4.1")
    from gi.repository import GLib, Gtk, WebKit2

    WebKit2.WebContext.get_default().set_cache_model(WebKit2.CacheModel.DOCUMENT_VIEWER)
    win = Gtk.Window()
    win.set_default_size(1280, 800)
    view = WebKit2.WebView()
    settings = view.get_settings()
    settings.set_enable_page_cache(False)
    settings.set_enable_webgl(False)
    win.add(view)
    win.show_all()
    view.load_html("<!doctype html><title>floor</title><p>blank</p>", "about:blank")

    def measure():
        by = {}
        for pid in descendants(os.getpid()):
            try:
                with open(f"/proc/{pid}/comm") as f:
                    name = f.read().strip()
                by[name] = round(by.get(name, 0) + pss_mb(pid), 1)
            except OSError:
                pass
        print(json.dumps({"pss_mb": round(sum(by.values()), 1), "pss_by_process": by}), flush=True)
        Gtk.main_quit()
        return False

    GLib.timeout_add(int(settle_s * 1000), measure)
    Gtk.main()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=6.0, help="seconds after loading")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        window(args.settle)
        return
    env = dict(os.environ)
    env.setdefault("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
    env.setdefault("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
    runs = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--settle", str(args.settle)],
            env=env, capture_output=True, text=True, check=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    totals = sorted(r["pss_mb"] for r in runs)
    print(json.dumps({"runs": len(runs), "pss_mb_median": totals[(len(totals) - 1) // 2],
                      "pss_mb_max": totals[-1], "detail": runs}, indent=2))


if __name__ == "__main__":
    main()
