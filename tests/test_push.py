"""`kg push`: the graph lands in a real triple store (Virtuoso, started by the test) over the Graph Store
Protocol, one named graph per document, and pushing twice duplicates nothing."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef

from kg.cli import main
from kg.query import load_graph

ROOT = Path(__file__).resolve().parent.parent
VIRTUOSO = shutil.which("virtuoso-t")
pytestmark = pytest.mark.skipif(VIRTUOSO is None, reason="Debian's virtuoso-opensource-7-bin is not installed "
                                                         "(.ci/run installs it)")
_XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")
ACTORS = "https://w3id.org/kg-news/graph/actors"
ONTOLOGY = "https://w3id.org/kg-news/graph/ontology"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    """A throwaway Virtuoso on free loopback ports; yields its base URL. Writes need the dba account."""
    d = tmp_path_factory.mktemp("virtuoso")
    sql, http = _free_port(), _free_port()
    (d / "virtuoso.ini").write_text(f"""
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{sql}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = ., {d}
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
ServerThreads = 4
[SPARQL]
ResultSetMaxRows = 1000000
""")
    proc = subprocess.Popen([VIRTUOSO, "+configfile", str(d / "virtuoso.ini"), "+foreground"], cwd=d,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{http}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{base}/sparql", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("Virtuoso did not start: " + (d / "virtuoso.log").read_text(errors="replace")[-2000:])
        time.sleep(0.3)
    yield base
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def _kg(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def _sparql(base: str, query: str, accept: str = "application/sparql-results+json") -> httpx.Response:
    r = httpx.get(f"{base}/sparql", params={"query": query}, headers={"Accept": accept}, timeout=30)
    r.raise_for_status()
    return r


def _values(triples) -> set:
    """Triples with literals compared by value ("x"^^xsd:string is "x"; 1.1E9 is 1100000000)."""
    out = set()
    for s, p, o in triples:
        if isinstance(o, Literal):
            o = str(o) if o.datatype in (None, _XSD_STRING) else (o.datatype, o.toPython())
        out.add((s, p, o))
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory, nlp) -> Path:
    d = tmp_path_factory.mktemp("store") / "s"
    assert _kg("build", ROOT / "seeds", "--store", d).exit_code == 0
    return d


def test_push_puts_the_whole_graph_into_virtuoso_one_named_graph_per_document(virtuoso, store):
    endpoint = f"{virtuoso}/sparql-graph-crud-auth"
    res = _kg("push", store, "--endpoint", endpoint, "--user", "dba", env={"KG_PUSH_PASSWORD": "dba"})
    assert res.exit_code == 0, res.output
    assert "pushed 4 graph(s)" in res.output  # actors, two documents, ontology
    local = load_graph(str(store), with_ontology=False)
    remote = Graph().parse(data=_sparql(
        virtuoso, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "
                  f"'https://w3id.org/kg-news/') && ?g != <{ONTOLOGY}>) }}", "text/plain").text, format="nt")
    assert _values(remote) == _values(local.triples((None, None, None)))
    # each document's statements are in that document's graph, and only there
    docs = sorted(str(d) for d in local.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                                                  URIRef("https://w3id.org/kg-news/ontology#Document")))
    for doc in docs:
        q = (f"SELECT (COUNT(?st) AS ?n) WHERE {{ GRAPH <{doc}> {{ ?st a <https://w3id.org/kg-news/ontology#Statement> ; "
             f"<https://w3id.org/kg-news/ontology#source> ?src }} FILTER(?src != <{doc}>) }}")
        assert _sparql(virtuoso, q).json()["results"]["bindings"][0]["n"]["value"] == "0"
    q = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    counts = {b["g"]["value"]: int(b["n"]["value"]) for b in _sparql(virtuoso, q).json()["results"]["bindings"]}
    assert {ACTORS, ONTOLOGY, *docs} <= set(counts) and all(counts[d] > 50 for d in docs)
    # pushing again replaces the graphs: same counts, nothing doubled
    assert _kg("push", store, "--endpoint", endpoint, "--user", "dba", env={"KG_PUSH_PASSWORD": "dba"}).exit_code == 0
    again = {b["g"]["value"]: int(b["n"]["value"]) for b in _sparql(virtuoso, q).json()["results"]["bindings"]}
    assert again == counts


def test_refusals_are_one_clear_line(virtuoso, store):
    endpoint = f"{virtuoso}/sparql-graph-crud-auth"
    res = _kg("push", store, "--endpoint", endpoint, "--user", "dba", env={"KG_PUSH_PASSWORD": "wrong"})
    assert res.exit_code == 1 and "refused graph <https://w3id.org/kg-news/graph/actors>: HTTP 401" in res.output
    res = _kg("push", store, "--endpoint", endpoint, "--user", "dba", env={"KG_PUSH_PASSWORD": None})
    assert res.exit_code == 1 and "$KG_PUSH_PASSWORD is not set" in res.output
    res = _kg("push", store, "--endpoint", f"http://127.0.0.1:{_free_port()}/store")
    assert res.exit_code == 1 and "cannot reach" in res.output
    for out in (res.output,):
        assert "Traceback" not in out and len(out.strip().splitlines()) == 1


def test_a_connection_lost_midway_says_how_many_graphs_were_already_replaced(store):
    """A service that takes two graphs, then drops the connection on the third."""
    import socket
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Flaky(BaseHTTPRequestHandler):
        taken = 0

        def do_PUT(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            if Flaky.taken >= 2:
                self.connection.shutdown(socket.SHUT_RDWR)  # reset, no answer
                self.close_connection = True
                return
            Flaky.taken += 1
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        res = _kg("push", store, "--endpoint", f"http://127.0.0.1:{server.server_address[1]}/store")
    finally:
        server.shutdown()
        server.server_close()
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1, res.output
    assert "2 of 4 graph(s) were already replaced there: push again to finish" in res.output
