"""The HTML network in a real headless Chromium: drawn nodes and edges, tooltips, no network, no injection."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Literal

from kg.graph import new_graph
from kg.namespace import KGO, KGR
from kg.query import load_graph
from kg.render import render_html

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = pytest.mark.browser

EVIL = '<img src=x onerror="window.pwned=1">'
EVIL2 = '</script><script>window.pwned=2</script>'


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (bash .ci/run installs it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _open(browser, path: Path):
    page = browser.new_page()
    requests, dialogs = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    for _ in range(300):  # poll: the page's CSP forbids the eval that wait_for_function needs
        if page.evaluate("() => window.kgStable === true"):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the network never stabilised")
    return page, requests, dialogs


def _hostile_graph():
    g = new_graph()
    a, b = KGR["evil"], KGR["victim"]
    g.add((a, RDF.type, KGO.Person))
    g.add((a, RDFS.label, Literal(EVIL)))
    g.add((b, RDF.type, KGO.Country))
    g.add((b, RDFS.label, Literal(EVIL2)))
    g.add((a, KGO.attacks, b))
    st = KGR["stmt/1"]
    for p, o in ((RDF.type, KGO.Statement), (RDF.subject, a), (RDF.predicate, KGO.attacks), (RDF.object, b),
                 (KGO.evidence, Literal(f"Il a écrit {EVIL} et {EVIL2} href")), (KGO.source, KGR["doc/x"])):
        g.add((st, p, o))
    return g


def _hover_edge(page, index: int = 0) -> str:
    x, y = page.evaluate("""(i) => {
        const e = window.kgEdges.get()[i];
        const p = window.kgNetwork.getPositions([e.from, e.to]);
        const d = window.kgNetwork.canvasToDOM({x: (p[e.from].x + p[e.to].x) / 2, y: (p[e.from].y + p[e.to].y) / 2});
        const r = document.querySelector('#network canvas').getBoundingClientRect();
        return [r.left + d.x, r.top + d.y];
    }""", index)
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y)
    for _ in range(50):
        text = page.evaluate("() => { const t = document.querySelector('div.vis-tooltip');"
                             " return t && t.style.visibility !== 'hidden' ? t.innerText : ''; }")
        if text:
            return text
        page.wait_for_timeout(100)
    raise AssertionError("no tooltip appeared over the edge")


def test_seeds_page_draws_expected_nodes_and_edges_offline(browser):
    html = ROOT / "exports" / "graph.html"
    page, requests, _ = _open(browser, html)
    labels = set(page.evaluate("window.kgNodes.get().map(n => n.label)"))
    assert {"Vladimir Poutine", "Groupe Wagner", "Pentagone", "Ukraine", "Christopher Cavoli"} <= labels
    edges = page.evaluate("window.kgEdges.get().map(e => [e.from, e.label, e.to])")
    g = load_graph(str(ROOT / "exports" / "graph.ttl"), with_ontology=False)
    expected = {(str(s), p.split("#")[-1], str(o)) for s, p, o in g
                if str(p).startswith(str(KGO._NS)) and p.split("#")[-1] in
                ("funds", "supports", "opposes", "attacks", "commands", "leads", "memberOf", "partOf",
                 "locatedIn", "operatesIn")}
    assert {tuple(e) for e in edges} == expected
    assert page.evaluate("document.querySelectorAll('#legend div').length") >= 5
    assert all(u.startswith(("file://", "data:")) for u in requests), requests
    page.close()


def test_hovering_an_edge_shows_its_evidence(browser):
    page, _, _ = _open(browser, ROOT / "exports" / "graph.html")
    n = page.evaluate("""() => { const es = window.kgEdges.get();
        return es.findIndex(e => e.label === 'funds' && !e.smooth &&
            es.filter(f => (f.from === e.from && f.to === e.to) || (f.from === e.to && f.to === e.from)).length === 1); }""")
    text = _hover_edge(page, n)
    assert "funds" in text and "dollars" in text and "USD" in text
    page.close()


def test_crafted_labels_never_run_as_script(browser, tmp_path):
    path = tmp_path / "evil.html"
    path.write_text(render_html(_hostile_graph()), encoding="utf-8")
    page, requests, dialogs = _open(browser, path)
    assert page.evaluate("window.pwned === undefined")
    assert sorted(page.evaluate("window.kgNodes.get().map(n => n.label)")) == sorted([EVIL, EVIL2])
    tip = _hover_edge(page, 0)
    assert EVIL in tip and EVIL2 in tip  # shown as text
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("window.pwned === undefined") and not dialogs
    assert all(u.startswith(("file://", "data:")) for u in requests), requests
    page.close()
