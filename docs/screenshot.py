"""Regenerate docs/seeds-graph.png: the seeds' explorer with a node's side panel open.

    python docs/screenshot.py [ACTOR]    (default: Pentagone)

Opens exports/graph.html in headless Debian Chromium, waits for the layout to
freeze, clicks the actor (which selects it and opens its side panel)
and saves a 1400x850 screenshot.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    actor = sys.argv[1] if len(sys.argv) > 1 else "Pentagone"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 850})
        page.goto((ROOT / "exports" / "graph.html").as_uri())
        for _ in range(300):
            if page.evaluate("() => window.kgStable === true"):
                break
            page.wait_for_timeout(100)
        x, y = page.evaluate("""(label) => {
            const n = window.kgNodes.get().find(n => n.label === label);
            const d = window.kgNetwork.canvasToDOM(window.kgNetwork.getPositions([n.id])[n.id]);
            const r = document.querySelector('#network canvas').getBoundingClientRect();
            return [r.left + d.x, r.top + d.y];
        }""", actor)
        page.mouse.click(x, y)  # selects the actor and opens its side panel, view unchanged
        page.mouse.move(5, 840)  # away from the node, so its hover tooltip closes
        page.wait_for_timeout(400)
        page.screenshot(path=str(ROOT / "docs" / "seeds-graph.png"))
        browser.close()


if __name__ == "__main__":
    main()
