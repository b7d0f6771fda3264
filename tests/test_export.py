"""`kg export`: every format parses back to the same graph, in rdflib and in a second parser, byte-stable."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from kg.cli import main
from kg.export import jsonld_context
from kg.query import load_graph

ROOT = Path(__file__).resolve().parent.parent
SEEDS_TTL = ROOT / "exports" / "graph.ttl"
RDF = {"turtle": ("ttl", "turtle", "TURTLE"), "nt": ("nt", "nt", "N_TRIPLES"), "nquads": ("nq", "nquads", "N_QUADS"),
       "trig": ("trig", "trig", "TRIG"), "jsonld": ("jsonld", "json-ld", "JSON_LD"), "xml": ("rdf", "xml", "RDF_XML")}


@pytest.fixture(scope="module")
def seeds():
    return load_graph(str(SEEDS_TTL), with_ontology=False)


def _export(fmt: str, out: Path) -> None:
    res = CliRunner().invoke(main, ["export", str(SEEDS_TTL), "--format", fmt, "--out", str(out)])
    assert res.exit_code == 0, res.output


def _union(data: bytes, fmt: str) -> Graph:
    ds = Dataset()
    ds.parse(data=data.decode("utf-8"), format=fmt)
    g = Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


@pytest.mark.parametrize("fmt", list(RDF))
def test_rdf_export_parses_back_isomorphic_in_rdflib_and_oxigraph(seeds, tmp_path, fmt):
    import pyoxigraph as ox

    ext, rdflib_fmt, ox_fmt = RDF[fmt]
    out = tmp_path / f"g.{ext}"
    _export(fmt, out)
    data = out.read_bytes()
    assert isomorphic(_union(data, rdflib_fmt), seeds)
    # a second, independent parser: Oxigraph's, re-serialised as N-Triples and compared again
    quads = list(ox.parse(data, format=getattr(ox.RdfFormat, ox_fmt)))
    nt = ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads], format=ox.RdfFormat.N_TRIPLES)
    assert isomorphic(Graph().parse(data=nt.decode("utf-8"), format="nt"), seeds)


def test_quads_put_each_documents_statements_in_its_own_named_graph(seeds, tmp_path):
    _export("nquads", tmp_path / "g.nq")
    ds = Dataset()
    ds.parse(tmp_path / "g.nq", format="nquads")
    names = {str(g.identifier) for g in ds.graphs() if len(g)}
    docs = {str(d) for d in seeds.subjects(predicate=None, object=None) if "/doc/" in str(d)}
    assert docs and docs <= names
    stating = [g.identifier for g in ds.graphs()
               if any(str(s).endswith("/pentagone") and str(p).endswith("#funds") for s, p, _ in g)]
    assert len(stating) == 2 and set(map(str, stating)) <= docs  # stated in both articles: in both their graphs


def test_jsonld_uses_short_names_from_its_context(tmp_path):
    _export("jsonld", tmp_path / "g.jsonld")
    text = (tmp_path / "g.jsonld").read_text(encoding="utf-8")
    assert '"funds": ' in text and '"label": ' in text and '"evidence": ' in text
    assert "https://w3id.org/kg-news/ontology#funds" not in text.split('"@graph"')[1]
    assert jsonld_context()["funds"] == {"@id": "kgo:funds", "@type": "@id"}


@pytest.mark.parametrize("fmt, reader", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_property_graph_exports_load_back_into_networkx(seeds, tmp_path, fmt, reader):
    out = tmp_path / f"g.{fmt}"
    _export(fmt, out)
    g = reader(out)
    labels = {a["label"] for _, a in g.nodes(data=True)}
    assert g.number_of_nodes() == 24 and {"Groupe Wagner", "Vladimir Poutine", "Ukraine"} <= labels
    edges = {(u, a["predicate"], v) for u, v, a in g.edges(data=True)}
    expected = {(str(s), str(p).split("#")[1], str(o)) for s, p, o in seeds
                if str(p).split("#")[-1] in ("funds", "supports", "opposes", "attacks", "commands", "leads",
                                             "memberOf", "partOf", "locatedIn", "operatesIn")
                and str(p).startswith("https://w3id.org/kg-news/ontology#")}
    assert edges == expected
    types = {a["type"] for _, a in g.nodes(data=True)}
    assert {"Person", "Country", "MilitaryOrganization"} <= types
    funds = [a for u, v, a in g.edges(data=True) if a["predicate"] == "funds" and u.endswith("/pentagone")]
    assert "500,000,000 USD" in funds[0]["amounts"] and funds[0]["evidence"]


def test_csv_export_has_neo4j_import_headers_and_every_edge(seeds, tmp_path):
    _export("csv", tmp_path / "csv")
    nodes = list(csv.DictReader(io.StringIO((tmp_path / "csv" / "nodes.csv").read_text(encoding="utf-8"))))
    edges = list(csv.DictReader(io.StringIO((tmp_path / "csv" / "edges.csv").read_text(encoding="utf-8"))))
    ids = {n["id:ID"] for n in nodes}
    assert len(nodes) == 24 and len(edges) == 15
    assert all(e[":START_ID"] in ids and e[":END_ID"] in ids for e in edges)
    wagner = next(n for n in nodes if n["name"] == "Groupe Wagner")
    assert wagner[":LABEL"] == "MilitaryOrganization;Organization"
    assert {e[":TYPE"] for e in edges} >= {"funds", "leads", "operatesIn"}


def test_every_format_is_byte_identical_under_another_hash_seed(tmp_path):
    fmts = list(RDF) + ["graphml", "gexf", "csv"]
    for fmt in fmts:
        _export(fmt, tmp_path / "a" / fmt)
    script = ("import sys; from click.testing import CliRunner; from kg.cli import main\n"
              "for f in sys.argv[2:]:\n"
              "    r = CliRunner().invoke(main, ['export', sys.argv[1], '--format', f, '--out', 'b/' + f])\n"
              "    assert r.exit_code == 0, r.output\n")
    subprocess.run([sys.executable, "-c", script, str(SEEDS_TTL), *fmts], cwd=tmp_path, check=True,
                   env={**os.environ, "PYTHONHASHSEED": "12345"})
    for fmt in fmts:
        a, b = tmp_path / "a" / fmt, tmp_path / "b" / fmt
        files = ["nodes.csv", "edges.csv"] if fmt == "csv" else [""]
        for f in files:
            assert (a / f if f else a).read_bytes() == (b / f if f else b).read_bytes(), fmt


def test_csv_into_an_existing_file_is_refused(tmp_path):
    (tmp_path / "x").write_text("keep", encoding="utf-8")
    res = CliRunner().invoke(main, ["export", str(SEEDS_TTL), "--format", "csv", "--out", str(tmp_path / "x")])
    assert res.exit_code == 1 and "is a file" in res.output and (tmp_path / "x").read_text() == "keep"


def test_a_write_killed_midway_leaves_the_previous_file_whole(tmp_path):
    """write_atomic writes a temporary file and renames it: kill -9 during the write of a large graph and
    the previous file is still there, whole (a plain write would have truncated it first)."""
    import signal
    import time

    target = tmp_path / "graph.ttl"
    target.write_bytes(b"previous graph")
    code = ("import sys; from pathlib import Path; from kg.export import write_atomic; "
            "data = b'x' * (1 << 30); print('ready', flush=True); write_atomic(Path(sys.argv[1]), data)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        temps = [p for p in tmp_path.iterdir() if p != target]
        if (temps and temps[0].stat().st_size > 0) or target.read_bytes()[:8] != b"previous":
            break  # the write has started
        time.sleep(0.001)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert target.read_bytes() == b"previous graph"
