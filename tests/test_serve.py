"""`kg serve`: a SPARQL 1.1 Protocol endpoint queried over HTTP by real clients (httpx, SPARQLWrapper)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from kg.query import load_graph, named_query
from kg.serve import make_server, negotiate

ROOT = Path(__file__).resolve().parent.parent
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def endpoint():
    server = make_server(load_graph(str(ROOT / "exports" / "graph.ttl")), "127.0.0.1", 0, timeout=2.0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}/sparql"
    server.shutdown()
    server.server_close()


def _readme_query(name: str, **params) -> str:
    """The README's named query with its parameter written in as a VALUES clause (what a user would paste)."""
    text, _ = named_query(name, [f"{k}={v}" for k, v in params.items()])
    for k, v in params.items():
        text = text.replace("WHERE {", f'WHERE {{ VALUES ?{k} {{ "{v}" }}', 1)
    return text


def test_readme_queries_answer_over_http_with_json_by_default(endpoint):
    r = httpx.get(endpoint, params={"query": _readme_query("funders-of", target="Ukraine")})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/sparql-results+json")
    rows = {(b["funder"]["value"], float(b["amount"]["value"])) for b in r.json()["results"]["bindings"]}
    assert {("Pentagone", 5e8), ("Pentagone", 1.1e9), ("États-Unis", 1.6e10)} <= rows
    r = httpx.post(endpoint, data={"query": _readme_query("leaders-of", group="Wagner")})
    assert [b["leader"]["value"] for b in r.json()["results"]["bindings"]] == ["Evgueni Prigojine"]
    r = httpx.post(endpoint, content=_readme_query("opposed-by", actor="Wagner").encode(),
                   headers={"Content-Type": "application/sparql-query"})
    assert [b["target"]["value"] for b in r.json()["results"]["bindings"]] == ["armée russe"]


def test_sparqlwrapper_client(endpoint):
    from SPARQLWrapper import JSON, SPARQLWrapper

    client = SPARQLWrapper(endpoint)
    client.setQuery(_readme_query("leaders-of", group="Wagner"))
    client.setReturnFormat(JSON)
    res = client.query().convert()
    assert res["results"]["bindings"][0]["leader"]["value"] == "Evgueni Prigojine"
    client.setQuery("ASK { ?s kgo:funds ?o }")
    assert client.query().convert()["boolean"] is True


@pytest.mark.parametrize("accept, ctype, needle", [
    ("application/sparql-results+xml", "application/sparql-results+xml", "<literal>Evgueni Prigojine</literal>"),
    ("text/csv", "text/csv", "leader,relation\r\nEvgueni Prigojine,"),
    ("text/tab-separated-values", "text/tab-separated-values", '"Evgueni Prigojine"\t<https://w3id.org'),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml", "<sparql"),
])
def test_select_results_follow_the_accept_header(endpoint, accept, ctype, needle):
    r = httpx.get(endpoint, params={"query": _readme_query("leaders-of", group="Wagner")}, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(ctype) and needle in r.text


@pytest.mark.parametrize("accept, ctype, needle", [
    ("text/turtle", "text/turtle", "kgo:leads"),
    ("application/n-triples", "application/n-triples", "<https://w3id.org/kg-news/ontology#leads>"),
    ("application/ld+json", "application/ld+json", '"leads"'),
])
def test_construct_is_served_as_rdf(endpoint, accept, ctype, needle):
    q = "CONSTRUCT { ?s kgo:leads ?o } WHERE { ?s kgo:leads ?o }"
    r = httpx.get(endpoint, params={"query": q}, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(ctype) and needle in r.text


@pytest.mark.parametrize("kind, request_kwargs, message", [
    ("update form", {"data": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}, "read-only"),
    ("update body", {"content": b"DELETE WHERE { ?s ?p ?o }", "headers": {"Content-Type": "application/sparql-update"}},
     "read-only"),
    ("update as query", {"data": {"query": "DELETE WHERE { ?s ?p ?o }"}}, "an update"),
    ("LOAD", {"data": {"query": "LOAD <http://127.0.0.1:9/x.ttl>"}}, "LOAD"),
    ("SERVICE", {"data": {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}},
     "SERVICE is not allowed"),
    ("FROM", {"data": {"query": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"}}, "FROM / FROM NAMED"),
    ("protocol dataset", {"data": {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "file:///etc/passwd"}},
     "default-graph-uri"),
    ("syntax", {"data": {"query": "SELEC ?x"}}, "bad SPARQL query"),
])
def test_refused_requests_get_400_and_a_clear_message(endpoint, kind, request_kwargs, message):
    r = httpx.post(endpoint, **request_kwargs)
    assert r.status_code == 400, kind
    assert message in r.text and len(r.text.strip().splitlines()) == 1


def test_expensive_query_stops_at_time_limit_while_another_client_is_answered(endpoint):
    slow = {}

    def run_slow():
        t = time.monotonic()
        slow["response"] = httpx.get(endpoint, params={"query": SLOW}, timeout=30)
        slow["seconds"] = time.monotonic() - t

    thread = threading.Thread(target=run_slow)
    thread.start()
    time.sleep(0.3)
    t = time.monotonic()
    quick = httpx.get(endpoint, params={"query": "ASK { ?s kgo:leads ?o }"}, timeout=30)
    quick_seconds = time.monotonic() - t
    thread.join()
    assert quick.status_code == 200 and quick.json()["boolean"] is True and quick_seconds < 1.5
    assert slow["response"].status_code == 503 and "time limit" in slow["response"].text
    assert 1.5 < slow["seconds"] < 10


def test_result_size_is_capped(tmp_path):
    server = make_server(load_graph(str(ROOT / "exports" / "graph.ttl")), "127.0.0.1", 0, max_rows=5, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    try:
        r = httpx.get(f"http://{host}:{port}/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        assert len(r.json()["results"]["bindings"]) == 5 and r.headers["x-kg-truncated"] == "true"
    finally:
        server.shutdown()
        server.server_close()


def test_query_page_lists_examples_and_escapes_the_query(endpoint):
    base = endpoint.rsplit("/", 1)[0]
    page = httpx.get(base + "/", params={"example": "funders-of"}).text
    assert "funders-of" in page and 'VALUES ?target { &quot;Ukraine&quot; }' in page
    r = httpx.get(endpoint, params={"query": 'SELECT ("<script>x</script>" AS ?v) WHERE {}', "format": "html"})
    assert "<script>" not in r.text and "&lt;script&gt;x&lt;/script&gt;" in r.text


def test_negotiation_defaults():
    assert negotiate("*/*", None, "results") == "json" and negotiate("", None, "graph") == "turtle"
    assert negotiate("text/csv", "json", "results") == "json"  # a format parameter wins


def test_kg_serve_binds_loopback_and_stops_on_ctrl_c():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", str(ROOT / "exports" / "graph.ttl"),
                             "--port", str(port), "--quiet"], stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert f"http://127.0.0.1:{port}/sparql" in line
        r = httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK { ?s kgo:funds ?o }"})
        assert r.json()["boolean"] is True
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
