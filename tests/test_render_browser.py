"""The HTML explorer in a real headless Chromium: search, filters, side panel, no network, no injection."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS

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


def _edge_point(page, index: int) -> tuple[float, float]:
    return page.evaluate("""(i) => {
        const e = window.kgEdges.get()[i];
        const p = window.kgNetwork.getPositions([e.from, e.to]);
        const d = window.kgNetwork.canvasToDOM({x: (p[e.from].x + p[e.to].x) / 2, y: (p[e.from].y + p[e.to].y) / 2});
        const r = document.querySelector('#network canvas').getBoundingClientRect();
        return [r.left + d.x, r.top + d.y];
    }""", index)


def _node_point(page, label: str) -> tuple[float, float]:
    return page.evaluate("""(label) => {
        const n = window.kgNodes.get().find(n => n.label === label);
        const p = window.kgNetwork.getPositions([n.id])[n.id];
        const d = window.kgNetwork.canvasToDOM(p);
        const r = document.querySelector('#network canvas').getBoundingClientRect();
        return [r.left + d.x, r.top + d.y];
    }""", label)


def _selected(page) -> list[str]:
    return page.evaluate("window.kgNetwork.getSelectedNodes().map(id => window.kgNodes.get(id).label)")


def _visible(page) -> tuple[set[str], set[str]]:
    labels = page.evaluate("window.kgView.nodes.get().map(n => n.label)")
    preds = page.evaluate("window.kgView.edges.get().map(e => e.predicate)")
    return set(labels), set(preds)


def _hover_edge(page, index: int = 0) -> str:
    x, y = _edge_point(page, index)
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
    edges = page.evaluate("window.kgEdges.get().map(e => [e.from, e.predicate, e.to])")
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
        return es.findIndex(e => e.predicate === 'funds' && !e.smooth &&
            es.filter(f => (f.from === e.from && f.to === e.to) || (f.from === e.to && f.to === e.from)).length === 1); }""")
    text = _hover_edge(page, n)
    assert "Pentagone finance Ukraine" in text and "dollars" in text and "USD" in text  # the French label
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


@pytest.fixture
def seeds_page(browser):
    page, requests, dialogs = _open(browser, ROOT / "exports" / "graph.html")
    yield page
    assert all(u.startswith(("file://", "data:")) for u in requests), requests
    page.close()


def _details(page) -> str:
    return page.inner_text("#details")


def test_search_ignores_accents_and_finds_aliases(seeds_page):
    page = seeds_page
    page.fill("#search", "poutine")
    assert _selected(page) == ["Vladimir Poutine"]
    assert page.inner_text("#details h2.name") == "Vladimir Poutine"
    page.fill("#search", "Prigozhin")  # an English alias of the canonical "Evgueni Prigojine"
    assert _selected(page) == ["Evgueni Prigojine"]
    assert "Prigozhin" in _details(page)
    page.fill("#search", "etats unis")
    assert _selected(page) == ["États-Unis"]
    assert "États-Unis" in page.inner_text("#matches")
    page.fill("#search", "zzzz")
    assert "Aucun acteur" in page.inner_text("#matches")


def test_type_legend_and_predicate_boxes_filter_the_drawing(seeds_page):
    page = seeds_page
    labels, preds = _visible(page)
    assert "Vladimir Poutine" in labels and "operatesIn" in preds
    page.click("#type-Person")  # the legend is the type filter
    labels, preds = _visible(page)
    assert not {"Vladimir Poutine", "Joe Biden", "Elon Musk", "Christopher Cavoli"} & labels
    assert "Ukraine" in labels and "leads" not in preds  # every leads edge starts at a person
    assert page.inner_text("#counts").startswith(f"{len(labels)} / 24 acteurs")
    page.click("#pred-operatesIn")
    labels, preds = _visible(page)
    assert "operatesIn" not in preds and "funds" in preds
    page.click("#type-Person")
    page.click("#pred-operatesIn")
    labels, preds = _visible(page)
    assert "Vladimir Poutine" in labels and "operatesIn" in preds


def test_minimum_degree_and_document_filters(seeds_page):
    page = seeds_page
    page.fill("#min-degree", "2")
    labels, _ = _visible(page)
    assert labels == {"États-Unis", "Groupe Wagner", "Ukraine"}
    page.fill("#min-degree", "0")
    titles = page.evaluate("[...document.querySelectorAll('#doc-filter option')].map(o => o.textContent)")
    second = next(t for t in titles if t.startswith("Vladimir Poutine reçoit"))
    page.select_option("#doc-filter", label=second)
    labels, preds = _visible(page)
    assert "Wiesbaden" in labels and "Groupe Wagner" not in labels and "operatesIn" not in preds
    page.select_option("#doc-filter", value="")
    assert "Groupe Wagner" in _visible(page)[0]


def test_clicking_a_node_opens_its_panel_with_relations_and_evidence(seeds_page):
    page = seeds_page
    page.mouse.click(*_node_point(page, "Pentagone"))
    text = _details(page)
    assert page.inner_text("#details h2.name") == "Pentagone"
    assert "Type : Organisation gouvernementale" in text  # the ontology's French labels
    assert page.get_attribute("#details a.wikidata", "href") == "http://www.wikidata.org/entity/Q11209"
    assert page.inner_text("#details section.group h3") == "finance →"
    assert text.count("«") == 2 and "500,000,000 USD" in text and "1,100,000,000 USD" in text
    page.click("#details section.group button.link")  # the related actor is a link to its own panel
    assert _selected(page) == ["Ukraine"]
    assert page.inner_text("#details h2.name") == "Ukraine"
    groups = page.evaluate("[...document.querySelectorAll('#details section.group h3')].map(h => h.textContent)")
    assert {"← finance", "← soutient", "← attaque", "← opère dans"} <= set(groups)


def test_clicking_an_edge_shows_every_sentence_that_states_it(seeds_page):
    page = seeds_page
    i = page.evaluate("""() => window.kgEdges.get().findIndex(e => e.predicate === 'funds' &&
        window.kgNodes.get(e.from).label === 'Pentagone')""")
    page.mouse.click(*_edge_point(page, i))
    text = _details(page)
    assert "Relation" in text and "Pentagone finance Ukraine" in " ".join(text.split())
    assert "2 phrases dans 2 documents" in text
    assert "500,000,000 USD" in text and "1,100,000,000 USD" in text
    assert len(page.query_selector_all("#details ul.evidence > li")) == 2


def _hostile_explorer_graph():
    g = _hostile_graph()
    doc = KGR["doc/x"]
    g.add((doc, RDF.type, KGO.Document))
    g.add((doc, DCTERMS.title, Literal(EVIL)))
    g.add((KGR["evil"], SKOS.altLabel, Literal(EVIL2 + " alias")))
    g.add((KGR["evil"], KGO.mentionedIn, doc))
    g.add((KGR["evil"], OWL.sameAs, URIRef("javascript:window.pwned=3")))
    return g


def test_crafted_text_stays_text_in_search_menus_panel_and_title(browser, tmp_path):
    path = tmp_path / "evil.html"
    path.write_text(render_html(_hostile_explorer_graph(), title=EVIL), encoding="utf-8")
    page, requests, dialogs = _open(browser, path)
    assert page.title() == EVIL and page.inner_text("#page-title") == EVIL
    assert EVIL in page.evaluate("[...document.querySelectorAll('#doc-filter option')].map(o => o.textContent)")
    page.fill("#search", "img src")
    assert EVIL in page.inner_text("#matches")
    assert page.inner_text("#details h2.name") == EVIL
    assert EVIL2 + " alias" in _details(page) and not page.query_selector("#details a")
    page.mouse.click(*_edge_point(page, 0))
    assert EVIL in _details(page) and EVIL2 in _details(page)
    page.select_option("#doc-filter", label=EVIL)
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("window.pwned === undefined") and not dialogs
    assert all(u.startswith(("file://", "data:")) for u in requests), requests
    page.close()


def test_large_graph_freezes_after_bounded_layout_and_answers_search(browser, tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    from graphgen import generated_graph

    path = tmp_path / "large.html"
    path.write_text(render_html(generated_graph(1500, 4500, seed=3)), encoding="utf-8")
    page, requests, _ = _open(browser, path)
    assert page.evaluate("window.kgNodes.length") == 1500 and page.evaluate("window.kgEdges.length") == 4500
    assert page.evaluate("window.kgNetwork.physics.physicsEnabled") is False  # frozen once laid out
    page.fill("#search", "1234")
    assert _selected(page)[0].endswith(" 1234")
    assert page.evaluate("window.kgLastSearch.ms") < 1000
    assert all(u.startswith(("file://", "data:")) for u in requests), requests
    page.close()


# -- a sparse graph, as five fresh articles give: most actors without a relation ----------------------------

HEADLINE = "Le Canada soutient le Mali"
LONG_TITLE = "Une très longue manchette d'article qui ne tient pas dans le panneau latéral de la page " * 2


def _sparse_graph():
    """Six actors, one relation stated by a document's headline, five actors named in sentences only."""
    g = new_graph()
    d1, d2 = KGR["doc/one"], KGR["doc/two"]
    for d, title in ((d1, HEADLINE), (d2, LONG_TITLE)):
        g.add((d, RDF.type, KGO.Document))
        g.add((d, DCTERMS.title, Literal(title)))
    actors = {"canada": ("Canada", KGO.Country), "mali": ("Mali", KGO.Country), "lyon": ("Lyon", KGO.City),
              "dupont": ("Jean Dupont", KGO.Person), "acme": ("Acme", KGO.Company), "nice": ("Nice", KGO.City)}
    for i, (key, (name, cls)) in enumerate(actors.items()):
        a = KGR[key]
        g.add((a, RDF.type, cls))
        g.add((a, RDFS.label, Literal(name)))
        g.add((a, KGO.mentionedIn, d1 if key in ("canada", "mali") else d2))
        m = KGR[f"mention/{key}"]
        g.add((a, KGO.mention, m))
        g.add((m, RDF.type, KGO.Mention))
        g.add((m, KGO.document, d1 if key in ("canada", "mali") else d2))
        g.add((m, KGO.start, Literal(i)))
        g.add((m, KGO.evidence, Literal(HEADLINE if key in ("canada", "mali") else f"{name} a été cité hier.")))
    g.add((KGR["canada"], KGO.supports, KGR["mali"]))
    st = KGR["stmt/1"]
    for p, o in ((RDF.type, KGO.Statement), (RDF.subject, KGR["canada"]), (RDF.predicate, KGO.supports),
                 (RDF.object, KGR["mali"]), (KGO.evidence, Literal(HEADLINE)), (KGO.source, d1)):
        g.add((st, p, o))
    return g


@pytest.fixture
def sparse_page(browser, tmp_path):
    path = tmp_path / "sparse.html"
    path.write_text(render_html(_sparse_graph()), encoding="utf-8")
    page, requests, _ = _open(browser, path)
    yield page
    assert all(u.startswith(("file://", "data:")) for u in requests), requests
    page.close()


def test_actors_with_no_relation_are_hidden_by_default_on_a_sparse_graph_and_can_be_shown(sparse_page):
    page = sparse_page
    assert page.is_checked("#hide-isolated")
    assert _visible(page)[0] == {"Canada", "Mali"}
    page.click("#hide-isolated")
    assert _visible(page)[0] == {"Canada", "Mali", "Lyon", "Jean Dupont", "Acme", "Nice"}


def test_an_actor_with_no_relation_shows_the_sentences_that_mention_it(sparse_page):
    page = sparse_page
    page.fill("#search", "dupont")
    text = _details(page)
    assert "Aucune relation extraite." in text and "Mentionné dans" in text and "« Jean Dupont a été cité hier. »" in text


def test_the_panel_is_french_and_a_headline_is_not_printed_twice(sparse_page):
    page = sparse_page
    page.fill("#search", "canada")
    text = _details(page)
    assert "Type : Pays" in text and page.inner_text("#details section.group h3") == "soutient →"
    assert text.count(HEADLINE) == 1 and "(titre du document)" in text
    legend = page.inner_text("#legend") + page.inner_text("#edge-legend")
    assert "Personne" in legend and "Ville" in legend and "soutient" in legend and "supports" not in legend


def test_the_document_menu_stays_inside_the_panel(sparse_page):
    page = sparse_page
    menu = page.evaluate("document.getElementById('doc-filter').getBoundingClientRect().right")
    side = page.evaluate("document.getElementById('side').getBoundingClientRect().right")
    assert menu <= side
    titles = page.evaluate("[...document.querySelectorAll('#doc-filter option')].map(o => o.title)")
    assert LONG_TITLE in titles  # cut in the menu, whole in the tooltip


def test_a_rendered_subgraph_highlights_its_centre_and_counts_its_own_documents(browser, tmp_path):
    from click.testing import CliRunner

    from kg.cli import main

    out = tmp_path / "wagner.html"
    res = CliRunner().invoke(main, ["render", str(ROOT / "exports" / "graph.ttl"), "--out", str(out),
                                    "--name", "two-hops", "--param", "center=wagner"])
    assert res.exit_code == 0, res.output
    page, _, _ = _open(browser, out)
    assert _selected(page) == ["Groupe Wagner"] and page.inner_text("#details h2.name") == "Groupe Wagner"
    assert page.evaluate("window.kgNodes.get().find(n => n.label === 'Groupe Wagner').borderWidth") == 5
    assert page.title() == "kg — autour de Groupe Wagner : 10 acteurs, 10 relations, 2 documents sur 2"
    page.close()
