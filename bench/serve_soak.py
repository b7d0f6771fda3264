"""Soak of `kg serve`: many mixed clients for a minute, as a hostile corner of the internet would send them.

    python bench/serve_soak.py [--clients 200] [--seconds 60] [--actors 5000] [--relations 15000]

Serves a generated graph (bench/graphgen.py; 5,000 actors and 15,000 relations by default) with
`kg serve`'s defaults, then runs ``--clients`` threads for ``--seconds``, each sending, in a loop,
one kind of request picked at random:

- ``select``: a selective query (who leads / funds an actor), expected 200 or a 503 when busy;
- ``heavy``: a cartesian product that runs past the time limit (503);
- ``oversized``: one row whose value doubles until it is megabytes (200, cut at --max-bytes);
- ``memory``: a string built past the worker's memory budget (503);
- ``slow-parse``: a 60 kB FILTER that takes seconds to parse (503 at the time limit);
- ``service``: SERVICE to a loopback port (400, and no connection made);
- ``malformed``: not SPARQL (400);
- ``huge-body``: a 2 MB POST (413) and ``bad-length``: Content-Length -1 (400);
- ``slow-client``: half a request line, then silence (the server closes it after --idle-timeout).

It samples the server's memory (its own RSS, and with its query workers) and its worker count every
0.2 s, and reports per kind the statuses seen, the requests that got no status at all (a connection
reset or a client timeout: none is expected but for ``slow-client``), and the peaks. Prints Markdown
for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphgen import generated_graph  # noqa: E402

SELECTS = [
    "SELECT ?who WHERE {{ ?who kgo:leads ?g . ?g rdfs:label ?n FILTER(STRSTARTS(?n, \"{p}\")) }} LIMIT 20",
    "SELECT ?f ?t WHERE {{ ?f kgo:funds ?t . ?t rdfs:label ?n FILTER(CONTAINS(?n, \"{p}\")) }} LIMIT 50",
    "SELECT (COUNT(*) AS ?n) WHERE {{ ?a a kgo:Person ; rdfs:label ?l FILTER(STRSTARTS(?l, \"{p}\")) }}",
]
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
OVERSIZED = ('SELECT ?v22 WHERE { BIND("' + "x" * 80 + '" AS ?v1) '  # one row of 168 MB from 1 kB of query
             + " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(1, 22)) + " }")
MEMORY = ('SELECT (STRLEN(?v30) AS ?n) WHERE { BIND("' + "x" * 1000 + '" AS ?v1) '
          + " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(1, 30)) + " }")
SLOW_PARSE = "SELECT * WHERE { ?s ?p ?o FILTER(" + " || ".join(f'?o = "v{i}"' for i in range(4000)) + ") }"
HOSTILE = ("huge-body", "bad-length", "slow-client", "memory", "slow-parse", "heavy")
KINDS = ["select"] * 6 + ["heavy", "oversized", "memory", "slow-parse", "service", "malformed", "huge-body",
                          "bad-length", "slow-client"]


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.status: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.seconds: dict[str, list[float]] = collections.defaultdict(list)

    def add(self, kind: str, outcome: str, seconds: float) -> None:
        with self.lock:
            self.status[kind][outcome] += 1
            self.seconds[kind].append(seconds)


def _request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
             timeout: float = 90.0) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        resp.read()
        return str(resp.status) + (" cut" if resp.getheader("X-KG-Truncated") == "true" else "")
    finally:
        conn.close()


def _raw(port: int, data: bytes, timeout: float = 90.0) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        head = s.recv(64)
        return head.split(b" ")[1].decode() if head.startswith(b"HTTP/") else "closed"


def one(kind: str, port: int, rng: random.Random, decoy: int) -> str:
    q = urllib.parse.quote
    if kind == "select":
        text = rng.choice(SELECTS).format(p=rng.choice("BDGLMNPRST") + rng.choice("aeiou"))
        return _request(port, "GET", "/sparql?query=" + q(text))
    if kind in ("heavy", "oversized", "memory", "malformed", "service"):
        text = {"heavy": HEAVY, "oversized": OVERSIZED, "memory": MEMORY, "malformed": "SELEKT * WHERE { ?s }",
                "service": f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{decoy}/> {{ ?s ?p ?o }} }}"}[kind]
        return _request(port, "POST", "/sparql", text.encode(), {"Content-Type": "application/sparql-query"})
    if kind == "slow-parse":
        return _request(port, "POST", "/sparql", SLOW_PARSE.encode(), {"Content-Type": "application/sparql-query"})
    if kind == "huge-body":
        return _raw(port, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                          b"Content-Length: 2000000\r\n\r\n" + b" " * 65536)
    if kind == "bad-length":
        return _raw(port, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\nASK {}")
    # slow-client: half a request line, then nothing; the server should hang up after its idle timeout
    with socket.create_connection(("127.0.0.1", port), timeout=90) as s:
        s.sendall(b"GET /sparql?query=ASK")
        t0 = time.monotonic()
        data = s.recv(64)
        return ("closed after %.0f s" % (time.monotonic() - t0)) if not data else data.split(b" ")[1].decode()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--actors", type=int, default=5000)
    ap.add_argument("--relations", type=int, default=15000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kg-serve-soak-"))
    graph = work / "graph.ttl"
    g = generated_graph(args.actors, args.relations, seed=args.seed)
    graph.write_bytes(g.serialize(format="turtle", encoding="utf-8"))
    triples = len(g)
    del g
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    decoy = socket.socket()  # counts connections a SERVICE would make: must stay at zero
    decoy.bind(("127.0.0.1", 0))
    decoy.listen(16)
    decoy.settimeout(0.2)
    decoy_port, called = decoy.getsockname()[1], [0]
    running = True

    def count_decoy() -> None:
        while running:
            try:
                c, _ = decoy.accept()
                called[0] += 1
                c.close()
            except OSError:
                pass

    threading.Thread(target=count_decoy, daemon=True).start()
    server = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", str(graph), "--port", str(port), "--quiet"],
                              stderr=subprocess.PIPE, text=True)
    server.stderr.readline()
    proc = psutil.Process(server.pid)
    baseline = proc.memory_info().rss
    peaks = {"server": baseline, "total": baseline, "workers": 0}

    def sample() -> None:
        while running:
            try:
                kids = proc.children()
                rss = proc.memory_info().rss
                total = rss + sum(k.memory_info().rss for k in kids if k.is_running())
            except psutil.Error:
                continue
            peaks["server"], peaks["total"] = max(peaks["server"], rss), max(peaks["total"], total)
            peaks["workers"] = max(peaks["workers"], len(kids))
            time.sleep(0.2)

    tally = Tally()
    deadline = time.monotonic() + args.seconds

    def client(i: int) -> None:
        rng = random.Random(args.seed * 1000 + i)
        while time.monotonic() < deadline:
            kind = rng.choice(KINDS)
            t0 = time.monotonic()
            try:
                outcome = one(kind, port, rng, decoy_port)
            except (OSError, http.client.HTTPException) as exc:
                outcome = "no status: " + type(exc).__name__
            tally.add(kind, outcome, time.monotonic() - t0)
            if outcome.startswith("503") and kind not in HOSTILE:
                time.sleep(rng.uniform(0.5, 2.0))  # a client honours Retry-After (roughly); a hostile one does not

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    after = proc.memory_info().rss
    alive = server.poll() is None
    check = _request(port, "GET", "/sparql?query=" + urllib.parse.quote("ASK { ?s ?p ?o }")) if alive else "dead"
    running = False
    server.terminate()
    server.wait(10)

    mb = 1024 * 1024
    total_requests = sum(sum(c.values()) for c in tally.status.values())
    print(f"## `kg serve` soak: {args.clients} clients, {elapsed:.0f} s, graph of {triples:,} triples "
          f"({args.actors:,} actors, {args.relations:,} relations)\n")
    print(f"`python bench/serve_soak.py --clients {args.clients} --seconds {args.seconds:g}` "
          f"(server with its defaults: 2 workers, queue 64, 64 connections, idle timeout 30 s)\n")
    print("| kind | requests | outcomes | median s | max s |")
    print("|---|---|---|---|---|")
    no_status = 0
    for kind in sorted(tally.status):
        c = tally.status[kind]
        secs = sorted(tally.seconds[kind])
        outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(c.items()))
        if kind != "slow-client":
            no_status += sum(v for k, v in c.items() if k.startswith("no status"))
        print(f"| {kind} | {sum(c.values())} | {outcomes} | {secs[len(secs) // 2]:.2f} | {secs[-1]:.2f} |")
    print(f"\n{total_requests:,} requests; well-formed requests with no status: {no_status}; "
          f"connections SERVICE made: {called[0]}")
    print(f"server RSS: {baseline / mb:.0f} MB at start, peak {peaks['server'] / mb:.0f} MB, {after / mb:.0f} MB after; "
          f"server and workers together: peak {peaks['total'] / mb:.0f} MB; "
          f"query workers at once: peak {peaks['workers']}; answering after the soak: {check}")
    return 0 if (no_status == 0 and called[0] == 0 and check == "200") else 1


if __name__ == "__main__":
    sys.exit(main())
