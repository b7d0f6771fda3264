"""`kg serve` under abuse: concurrent first queries, lying Content-Length, huge results, parsing that takes
long, more queries than workers, idle and surplus connections, SERVICE on a store. Each limit answers with a
status, and the server keeps answering afterwards."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.query import load_graph
from kg.serve import make_server

ROOT = Path(__file__).resolve().parent.parent
GRAPH = ROOT / "exports" / "graph.ttl"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_process(target: Path, *args: str):
    """`kg serve` in its own fresh process (nothing parsed yet), and its base URL once it listens."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", str(target), "--port", str(port), "--quiet",
                             *args], stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    assert f":{port}/sparql" in line, line
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture()
def server_factory():
    made = []

    def make(**kw):
        kw.setdefault("timeout", 5.0)
        server = make_server(load_graph(str(GRAPH)), "127.0.0.1", 0, quiet=True, **kw)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        made.append(server)
        host, port = server.server_address[:2]
        return f"http://{host}:{port}", port

    yield make
    for s in made:
        s.shutdown()
        s.server_close()


def test_concurrent_first_queries_on_a_fresh_server_are_all_answered_four_then_forty():
    """rdflib's parser is not thread-safe: parsed in the request threads, four concurrent first queries broke
    it for good (every later query got 400)."""
    proc, base = _serve_process(GRAPH)
    try:
        for n in (4, 40):
            def ask(i: int) -> tuple[int, str]:
                q = f"SELECT ?l WHERE {{ ?a kgo:leads ?g . ?a rdfs:label ?l FILTER(STRLEN(?l) > {i % 7 - 100}) }}"
                r = httpx.get(base + "/sparql", params={"query": q}, timeout=60)
                return r.status_code, r.text

            with ThreadPoolExecutor(n) as ex:
                answers = list(ex.map(ask, range(n)))
            assert all(code == 200 and "Evgueni Prigojine" in text for code, text in answers), answers[:3]
    finally:
        proc.terminate()
        proc.wait(10)


def _raw(port: int, request: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except socket.timeout:
            pass
        return b"".join(chunks)


@pytest.mark.parametrize("length", [b"-1", b"abc", b"1e3", b" 12x"])
def test_a_bad_content_length_is_refused_without_reading_the_body(server_factory, length):
    _, port = server_factory()
    t0 = time.monotonic()
    answer = _raw(port, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                        b"Content-Length: " + length + b"\r\n\r\nASK {}" + b" " * 100_000)
    assert answer.startswith(b"HTTP/1.1 400") and b"bad Content-Length" in answer
    assert time.monotonic() - t0 < 4  # answered at once, not after reading until the client stops


def test_a_result_is_cut_at_the_byte_cap_however_few_rows(server_factory):
    base, _ = server_factory(max_bytes=200_000)
    # one row whose value doubles twelve times: 4 MB from a 400-character query
    binds = " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(1, 13))
    q = f'SELECT ?v13 WHERE {{ BIND("{"x" * 1000}" AS ?v1) {binds} }}'
    r = httpx.get(base + "/sparql", params={"query": q}, timeout=30)
    assert r.status_code == 200 and r.headers["x-kg-truncated"] == "true"
    assert len(r.content) < 200_000 and r.json()["results"]["bindings"] == []


def test_a_query_over_its_memory_budget_is_stopped_and_the_server_answers_on(server_factory):
    base, _ = server_factory(max_memory=64)
    binds = " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(1, 20))
    q = f'SELECT (STRLEN(?v20) AS ?n) WHERE {{ BIND("{"x" * 1000}" AS ?v1) {binds} }}'  # 500 MB
    r = httpx.get(base + "/sparql", params={"query": q}, timeout=30)
    assert r.status_code == 503 and "memory" in r.text
    assert httpx.get(base + "/sparql", params={"query": "ASK { ?s kgo:funds ?o }"}).json()["boolean"] is True


def test_parsing_counts_against_the_time_limit(server_factory):
    base, _ = server_factory(timeout=1.5)
    q = "SELECT * WHERE { ?s ?p ?o FILTER(" + " || ".join(f'?o = "v{i}"' for i in range(4000)) + ") }"  # 7 s
    t0 = time.monotonic()
    r = httpx.post(base + "/sparql", content=q.encode(), headers={"Content-Type": "application/sparql-query"},
                   timeout=30)
    assert r.status_code == 503 and "time limit" in r.text and time.monotonic() - t0 < 4


def test_no_more_workers_than_the_pool_and_a_full_queue_is_told_so(server_factory):
    import psutil

    base, _ = server_factory(workers=2, queue=2, timeout=3.0)
    peak = 0
    stop = threading.Event()
    before = {p.pid for p in psutil.Process().children()}  # other tests' processes are not this pool's

    def watch() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, len([p for p in psutil.Process().children() if p.pid not in before]))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with ThreadPoolExecutor(8) as ex:
        codes = list(ex.map(lambda _: httpx.get(base + "/sparql", params={"query": SLOW}, timeout=30).status_code,
                            range(8)))
    stop.set()
    watcher.join()
    assert peak <= 2, peak
    assert codes.count(503) >= 4  # 2 running, 2 waiting: the others refused at once, or after waiting
    assert httpx.get(base + "/sparql", params={"query": "ASK { ?s kgo:funds ?o }"}).json()["boolean"] is True


def test_idle_connections_are_closed_and_surplus_ones_refused(server_factory):
    base, port = server_factory(idle=1.0, max_connections=3)
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    time.sleep(0.3)
    assert _raw(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 503")  # the fourth
    for s in idle:
        s.settimeout(5)
        assert s.recv(100) == b""  # closed by the server after a second of silence
        s.close()
    time.sleep(0.2)
    assert httpx.get(base + "/sparql", params={"query": "ASK { ?s kgo:funds ?o }"}).status_code == 200


def test_service_hidden_by_escapes_is_refused_on_a_served_store_with_no_connection(tmp_path, nlp):
    from test_security import Listener

    assert CliRunner().invoke(main, ["build", str(ROOT / "seeds"), "--store", str(tmp_path / "s")]).exit_code == 0
    listener = Listener()
    proc, base = _serve_process(tmp_path / "s")
    try:
        q = (f'SELECT * WHERE {{ VALUES ?v {{ "a\\u0022 " }} SERVICE <http://127.0.0.1:{listener.port}/sparql> '
             '{ ?s ?p ?o } VALUES ?w { " \\u0022" } }')
        r = httpx.get(base + "/sparql", params={"query": q}, timeout=30)
        assert r.status_code == 400 and "refused" in r.text
        time.sleep(0.3)
        assert listener.count == 0
    finally:
        proc.terminate()
        proc.wait(10)
        listener.close()
