"""Queries cannot reach the network or the filesystem, on either engine (rdflib in memory, Oxigraph store).

Each case runs `kg query` against a listener on a loopback port that counts the connections it
accepts, and a secret file whose text must never come back. The listener is checked to count (a
control connection), so "zero connections" means the query really did not call out.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main

ROOT = Path(__file__).resolve().parent.parent
SECRET = "kg-secret-7f3a9c"


class Listener:
    """Accepts and counts TCP connections on a free loopback port until closed."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self.open = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.open:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.count += 1
            conn.close()

    def close(self) -> None:
        self.open = False
        self.thread.join()
        self.sock.close()


@pytest.fixture()
def listener():
    lst = Listener()
    with socket.create_connection(("127.0.0.1", lst.port)):
        pass  # control: the counter works
    deadline = time.monotonic() + 2
    while lst.count < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lst.count == 1
    lst.count = 0
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def graphs(tmp_path_factory, nlp):
    """The seeds' graph as a Turtle file and as an Oxigraph store, and a secret file next to them."""
    d = tmp_path_factory.mktemp("sec")
    runner = CliRunner()
    assert runner.invoke(main, ["build", str(ROOT / "seeds"), "--out", str(d / "out"), "--no-html"]).exit_code == 0
    assert runner.invoke(main, ["build", str(ROOT / "seeds"), "--store", str(d / "store")]).exit_code == 0
    (d / "secret.ttl").write_text(f'<http://x/s> <http://x/p> "{SECRET}" .\n', encoding="utf-8")
    return {"file": d / "out" / "graph.ttl", "store": d / "store", "secret": d / "secret.ttl"}


QUERIES = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:{port}/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?a ?b ?c OPTIONAL { SERVICE SILENT <http://127.0.0.1:{port}/> { ?s ?p ?o } } } LIMIT 1",
    "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } } } }",
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
    # rdflib expands \\u everywhere (SERVICE reads as inside a string), Oxigraph only in strings (it runs it)
    'SELECT * WHERE { VALUES ?v { "a\\u0022 " } SERVICE <http://127.0.0.1:{port}/sparql> { ?s ?p ?o } '
    'VALUES ?w { " \\u0022" } }',
    "SELECT * WHERE { VALUES ?v { 'a\\u0027 ' } SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } VALUES ?w { ' \\u0027' } }",
    'SELECT * WHERE { VALUES ?v { "a\\u005Cu0022 " } SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } '
    'VALUES ?w { " \\u005Cu0022" } }',
    "SELECT * WHERE { # \\u000A SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } \n}",
    "SELECT * WHERE { ?s ?p ?o FILTER(?o = <http://x/\\u003E> ) SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <http\\u003A//127.0.0.1:{port}/> { ?s ?p ?o } }",
    "SELECT * FROM <http://127.0.0.1:{port}/g.ttl> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <file://{secret}> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT * FROM <file://{secret}> WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:{port}/g.ttl>",
    "LOAD <file://{secret}>",
    "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
    "ASK { SERVICE <http://127.0.0.1:{port}/> { ?s ?p ?o } }",
]


@pytest.mark.parametrize("engine", ["file", "store"])
@pytest.mark.parametrize("template", QUERIES)
def test_a_query_cannot_call_out_or_read_files(engine, template, graphs, listener):
    sparql = template.replace("{port}", str(listener.port)).replace("{secret}", str(graphs["secret"]))
    res = CliRunner().invoke(main, ["query", str(graphs[engine]), sparql])
    assert res.exit_code == 1, res.output
    assert res.output.startswith("kg: error:") and len(res.output.strip().splitlines()) == 1
    assert SECRET not in res.output
    assert listener.count == 0


# -- hostile names: valid IRIs, parseable output, no collisions --------------------------------------------

import re  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from kg.export import serialize  # noqa: E402
from kg.graph import build_graph, entity_iris  # noqa: E402
from kg.records import Document, Entity, Mention, Relation  # noqa: E402

# RFC 3987 ipath characters we may emit: unreserved plus "/" (slugs are ASCII, so this is also RFC 3986)
_IRI = re.compile(r"^https://w3id\.org/kg-news/id/[A-Za-z0-9._~/-]+$")
_HOSTILE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40) | \
    st.sampled_from(['"quoted"', "<angle>", "a b c", "tab\there", "new\nline", "50% off", "👩‍🚀 astronaute",
                     "שלום עליכם", "مرحبا", "x" * 10_000, "Élysée", "E\u0301lyse\u0301e", "\u202eevil", "\x00nul",
                     "javascript:alert(1)", "]]><script>", "\\u0022", "@prefix x: <y> ."])


@settings(max_examples=60, deadline=None)
@given(names=st.lists(_HOSTILE, min_size=1, max_size=6, unique=True))
def test_any_names_give_valid_distinct_iris_and_output_that_both_parsers_read_back(names):
    import pyoxigraph as ox
    from rdflib import Graph

    doc = Document(path="d<1>.txt", text="", sha256="a" * 64, title=names[0], segments=())
    entities, keys, mentions = {}, {}, []
    for i, name in enumerate(names):
        m = Mention(doc.doc_id, 10 * i, 10 * i + 1, name, name, "Person", None, f"phrase « {name} »", "ner")
        key = f"person:{i}"
        entities[key] = Entity(key=key, name=name, etype="Person", aliases={name + "!"}, mentions=[m])
        keys[m] = key
        mentions.append(m)
    rels = [Relation(a, "opposes", b, doc.doc_id, f"{a.name} s'oppose à {b.name}", 0, 5, "test")
            for a, b in zip(mentions, mentions[1:])]
    iris = entity_iris(entities)
    assert len(set(iris.values())) == len(iris)  # different actors never share an IRI
    assert all(_IRI.match(str(i)) for i in iris.values())
    g = build_graph([doc], entities, keys, rels, "model")
    for fmt, ox_fmt in (("turtle", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES)):
        data = serialize(g, fmt)
        back = Graph().parse(data=data.decode("utf-8"), format=fmt)
        assert len(back) == len(g)
        assert len(list(ox.parse(data, format=ox_fmt))) == len(g)
