"""`kg render`: what goes into the page for a subgraph, type and predicate filters, and bad options."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.query import load_graph
from kg.render import network_data

ROOT = Path(__file__).resolve().parent.parent
SEEDS_TTL = ROOT / "exports" / "graph.ttl"


def _payload(path: Path) -> dict:
    html = path.read_text(encoding="utf-8")
    return json.loads(re.search(r'<script id="kg-data" type="application/json">(.*?)</script>', html, re.S).group(1))


def _render(tmp_path, *args) -> tuple[int, str, dict | None]:
    out = tmp_path / "g.html"
    res = CliRunner().invoke(main, ["render", str(SEEDS_TTL), "--out", str(out), *args])
    return res.exit_code, res.output, _payload(out) if res.exit_code == 0 else None


def test_query_draws_only_the_constructed_subgraph_with_names_from_the_full_graph(tmp_path):
    q = tmp_path / "q.rq"
    q.write_text("CONSTRUCT { ?s kgo:operatesIn ?o } WHERE { ?s kgo:operatesIn ?o }", encoding="utf-8")
    code, _, data = _render(tmp_path, "--query", str(q))
    assert code == 0
    assert {e["predicate"] for e in data["info"]["edges"]} == {"operatesIn"}
    labels = {n["label"] for n in data["info"]["nodes"]}
    assert labels == {"Groupe Wagner", "Afrique", "Libye", "Syrie", "Ukraine"}
    wagner = next(n for n in data["info"]["nodes"] if n["label"] == "Groupe Wagner")
    assert wagner["type"] == "MilitaryOrganization" and "Wagner" in wagner["aliases"]
    assert all(e["evidence"] and e["evidence"][0]["sentence"] for e in data["info"]["edges"])


def test_shipped_two_hop_query_centres_on_wagner(tmp_path):
    code, _, data = _render(tmp_path, "--name", "two-hops", "--param", "center=Wagner")
    assert code == 0
    labels = {n["label"] for n in data["info"]["nodes"]}
    assert {"Groupe Wagner", "Evgueni Prigojine", "armée russe", "Ukraine", "Pentagone"} <= labels
    assert "Tesla" not in labels and "Wiesbaden" not in labels  # more than two hops away


def test_type_filter_keeps_subclasses_and_predicate_filter_keeps_edges(tmp_path):
    code, _, data = _render(tmp_path, "--types", "person,Organization", "--predicates", "leads,commands")
    assert code == 0
    types = {n["type"] for n in data["info"]["nodes"]}
    assert "Person" in types and "MilitaryOrganization" in types and not {"Country", "City"} & types
    assert {e["predicate"] for e in data["info"]["edges"]} == {"leads", "commands"}
    assert all(e["to"] != "https://w3id.org/kg-news/id/russie" for e in data["info"]["edges"])


@pytest.mark.parametrize("args, message", [
    (["--types", "Persn"], "unknown type 'Persn'"),
    (["--predicates", "finances"], "unknown predicate 'finances'"),
    (["--query", "missing.rq"], "cannot read query file"),
])
def test_bad_render_options_get_one_line(tmp_path, args, message):
    code, output, _ = _render(tmp_path, *args)
    assert code == 1 and message in output and len(output.strip().splitlines()) == 1
    assert not (tmp_path / "g.html").exists()


def test_a_select_query_is_refused_for_render(tmp_path):
    q = tmp_path / "q.rq"
    q.write_text("SELECT ?s WHERE { ?s ?p ?o }", encoding="utf-8")
    code, output, _ = _render(tmp_path, "--query", str(q))
    assert code == 1 and "needs a CONSTRUCT" in output


def test_every_edge_carries_all_its_evidence_and_family():
    data = network_data(load_graph(str(SEEDS_TTL), with_ontology=False))
    funds = next(e for e in data["edges"] if e["predicate"] == "funds" and e["from"].endswith("/pentagone"))
    assert len(funds["evidence"]) == 2 and funds["docs"] == [0, 1] and funds["family"] == "support"
    assert sorted(x["amount"] for x in funds["evidence"]) == ["1,100,000,000 USD", "500,000,000 USD"]
    assert {e["family"] for e in data["edges"]} == {"support", "hostility", "hierarchy", "location"}


@pytest.mark.parametrize("name", ["</script x>", "</SCRIPT\t", "<!--<script>", "a & b", "\u2028ligne\u2029"])
def test_the_data_block_holds_no_character_that_could_end_it_or_open_markup(name):
    """The graph's data sits in a <script type="application/json"> block: the HTML tokenizer ends it at
    any "</script" followed by a space, "/" or ">", whatever the case, so no "<" may appear raw in it."""
    from rdflib import RDF, RDFS, Graph, Literal

    from kg.namespace import KGO, KGR
    from kg.render import render_html

    g = Graph()
    g.add((KGR["x"], RDF.type, KGO.Person))
    g.add((KGR["x"], RDFS.label, Literal(name)))
    g.add((KGR["y"], RDF.type, KGO.Country))
    g.add((KGR["y"], RDFS.label, Literal("Pays")))
    g.add((KGR["x"], KGO.memberOf, KGR["y"]))
    html = render_html(g)
    block = re.search(r'<script id="kg-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    assert not set(block) & {"<", ">", "&", "\u2028", "\u2029"}
    strings: list[str] = []

    def walk(x):
        if isinstance(x, str):
            strings.append(x)
        elif isinstance(x, dict):
            list(map(walk, x.values()))
        elif isinstance(x, list):
            list(map(walk, x))

    walk(json.loads(block))
    assert any(name.strip() in s for s in strings)  # and the page still shows the name as it is
