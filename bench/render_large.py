"""Benchmark: the kg explorer against pyvis's default page on one generated graph.

    python bench/render_large.py [--nodes 5000] [--edges 15000] [--limit 300]

Renders the same generated graph (bench/graphgen.py) twice, with ``kg.render`` and
with pyvis's own ``Network.write_html`` left at its defaults (except
``cdn_resources="in_line"``: the default "local" loads vis-network from a CDN and
draws nothing offline), opens both in headless Debian Chromium, and reports side by
side:

- time to a stable drawing: from navigation start until vis-network's physics has
  stopped (``network.physics.stabilized``), capped at ``--limit`` seconds;
- time to answer a search: from the query to the next drawn frame with the node
  selected and focused. kg: text typed in the search box. pyvis's default page has
  no search box, so the same work (find by label, select, focus) is done from a
  script, which is a lower bound for it;
- redraw: median time of one full frame once stable (view moved by a few pixels);
- frame while dragging: median drawing time of the frames drawn while the mouse
  drags the view (what panning feels like);
- the HTML file size.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphgen import generated_graph  # noqa: E402

from kg.render import network_data, render_html  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]

FRAME_JS = """async ([net, action, arg]) => {
  const n = window[net];
  const drawn = new Promise(r => n.once('afterDrawing', r));
  const t0 = performance.now();
  if (action === 'type') {
    const box = document.getElementById('search');
    box.value = arg; box.dispatchEvent(new Event('input'));
  } else if (action === 'select') {
    const hit = n.body.data.nodes.get({filter: x => String(x.label).toLowerCase().includes(arg.toLowerCase())});
    n.selectNodes([hit[0].id]); n.focus(hit[0].id, {scale: 1.2, animation: false});
  } else {
    const p = n.getViewPosition(); n.moveTo({position: {x: p.x + 3, y: p.y}, animation: false});
  }
  await drawn;
  return performance.now() - t0;
}"""


def pyvis_default_html(data: dict) -> str:
    """pyvis as its README uses it: add nodes and edges with labels and hover titles, write_html."""
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="in_line")
    for n in data["nodes"]:
        net.add_node(n["id"], label=n["label"], title=n["type"])
    ids = {n["id"] for n in data["nodes"]}
    for e in data["edges"]:
        if e["from"] in ids and e["to"] in ids:  # pyvis's add_edge scans every node per edge: append directly
            net.edges.append({"from": e["from"], "to": e["to"], "label": e["predicate"], "arrows": "to",
                              "title": e["evidence"][0]["sentence"] if e["evidence"] else ""})
    return net.generate_html()


def drag_frame_ms(page, net_var: str) -> float:
    """Median draw time (beforeDrawing to afterDrawing) of the frames drawn during a mouse drag."""
    page.evaluate(f"""() => {{ const n = window.{net_var}; window.__frames = [];
        n.on('beforeDrawing', () => {{ window.__t = performance.now(); }});
        n.on('afterDrawing', () => {{ window.__frames.push(performance.now() - window.__t); }}); }}""")
    box = page.query_selector("canvas").bounding_box()
    x, y = box["x"] + 20, box["y"] + 20  # a corner: empty canvas, so the drag pans the view
    page.mouse.move(x, y)
    page.mouse.down()
    page.evaluate("() => { window.__frames = []; }")
    for i in range(1, 16):
        page.mouse.move(x + 8 * i, y + 5 * i)
        page.wait_for_timeout(30)
    frames = page.evaluate("window.__frames")
    page.mouse.up()
    return statistics.median(frames) if frames else float("nan")


def measure(browser, path: Path, net_var: str, search: tuple[str, str], limit: float) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    external = []
    page.route("**/*", lambda r: (external.append(r.request.url), r.abort()) if not r.request.url.startswith(
        ("file:", "data:")) else r.continue_())
    page.goto(path.as_uri(), wait_until="load", timeout=limit * 1000)
    stable = None
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        t = page.evaluate(f"() => (typeof window.{net_var} === 'object' && window.{net_var}.physics &&"
                          f" window.{net_var}.physics.stabilized === true) ? performance.now() : null")
        if t is not None:
            stable = t / 1000
            break
        page.wait_for_timeout(50)
    result = {"stable_s": stable, "external_requests": len(external)}
    if stable is None:  # still moving: stop it so the other figures can be taken
        page.evaluate(f"() => window.{net_var}.setOptions({{physics: false}})")
    result["search_ms"] = page.evaluate(FRAME_JS, [net_var, *search])
    result["redraw_ms"] = statistics.median(page.evaluate(FRAME_JS, [net_var, "pan", ""]) for _ in range(7))
    result["drag_ms"] = drag_frame_ms(page, net_var)
    page.close()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=5000)
    ap.add_argument("--edges", type=int, default=15000)
    ap.add_argument("--limit", type=float, default=300.0, help="give up waiting for a stable drawing after this")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    g = generated_graph(args.nodes, args.edges)
    target = "1234" if args.nodes > 1234 else "1"
    tmp = Path(tempfile.mkdtemp(prefix="kg-bench-"))
    t = time.perf_counter()
    ours = tmp / "kg.html"
    ours.write_text(render_html(g), encoding="utf-8")
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    theirs = tmp / "pyvis.html"
    theirs.write_text(pyvis_default_html(network_data(g)), encoding="utf-8")
    t_theirs = time.perf_counter() - t
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
        a = measure(browser, ours, "kgNetwork", ("type", target), args.limit)
        b = measure(browser, theirs, "network", ("select", f" {target}"), args.limit)
        browser.close()

    def s(v):
        return f">{args.limit:.0f} (never stopped)" if v is None else f"{v:.1f}"

    print(f"graph: {args.nodes} nodes, {args.edges} edges; Chromium headless, {args.chromium}")
    print(f"{'':28}{'kg explorer':>22}{'pyvis default':>26}{'ratio':>8}")
    rows = [("write HTML (s)", f"{t_ours:.1f}", f"{t_theirs:.1f}", t_theirs / t_ours),
            ("time to stable drawing (s)", s(a["stable_s"]), s(b["stable_s"]),
             (b["stable_s"] or args.limit) / a["stable_s"] if a["stable_s"] else float("nan")),
            ("search answered (ms)", f"{a['search_ms']:.0f}", f"{b['search_ms']:.0f}", b["search_ms"] / a["search_ms"]),
            ("redraw one frame (ms)", f"{a['redraw_ms']:.0f}", f"{b['redraw_ms']:.0f}", b["redraw_ms"] / a["redraw_ms"]),
            ("frame while dragging (ms)", f"{a['drag_ms']:.0f}", f"{b['drag_ms']:.0f}", b["drag_ms"] / a["drag_ms"]),
            ("file size (MB)", f"{ours.stat().st_size / 1e6:.1f}", f"{theirs.stat().st_size / 1e6:.1f}",
             theirs.stat().st_size / ours.stat().st_size),
            ("requests leaving the file", str(a["external_requests"]), str(b["external_requests"]), float("nan"))]
    for name, x, y, r in rows:
        print(f"{name:28}{x:>22}{y:>26}{r:>8.1f}")
    print("ratio = pyvis / kg (above 1: kg is faster or smaller)")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
