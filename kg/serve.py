"""A read-only SPARQL 1.1 Protocol endpoint over one graph (`kg serve`).

YASGUI, SPARQLWrapper, Protégé or a notebook can point at ``/sparql``: GET with
``?query=``, POST as a form or as ``application/sparql-query``; results negotiated
from the Accept header (or a ``format`` parameter) as SPARQL JSON, XML, CSV or TSV,
and CONSTRUCT / DESCRIBE as Turtle, N-Triples, JSON-LD or RDF/XML.

Every query goes through ``kg.query.run_query``: parsed and checked first (no
update, SERVICE, LOAD or FROM, so the server never fetches a URL or reads a file),
then run in a forked worker with a wall-clock limit and a row cap. Each request has
its own thread, so one runaway query does not hold up other clients.
"""

from __future__ import annotations

import csv
import html
import io
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

from rdflib import Graph

from kg.errors import KgError
from kg.query import named_queries, run_query, warm_up

RESULT_TYPES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                "csv": "text/csv", "tsv": "text/tab-separated-values", "html": "text/html"}
GRAPH_TYPES = {"turtle": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json",
               "xml": "application/rdf+xml", "html": "text/html"}
ALIASES = {"application/json": "json", "application/sparql-results+json": "json", "json": "json",
           "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml", "xml": "xml",
           "text/csv": "csv", "csv": "csv", "text/tab-separated-values": "tsv", "tsv": "tsv",
           "text/turtle": "turtle", "application/x-turtle": "turtle", "turtle": "turtle", "ttl": "turtle",
           "application/n-triples": "nt", "text/plain": "nt", "nt": "nt", "application/ld+json": "jsonld",
           "jsonld": "jsonld", "application/rdf+xml": "xml", "rdf": "xml", "text/html": "html", "html": "html"}
MAX_BODY = 1_000_000
_BUSY_TEXT = b"server busy: too many open connections; try again shortly\n"
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 2\r\n"
         b"Connection: close\r\nContent-Length: " + str(len(_BUSY_TEXT)).encode() + b"\r\n\r\n" + _BUSY_TEXT)


def negotiate(accept: str, fmt: str | None, kind: str) -> str:
    """The response format for a result kind ("results" or "graph"): a ``format`` parameter wins, then the
    Accept header by q-value; SPARQL JSON / Turtle by default."""
    table = RESULT_TYPES if kind == "results" else GRAPH_TYPES
    if fmt:
        name = ALIASES.get(fmt.strip().lower())
        if name in table:
            return name
    choices = []
    for i, part in enumerate(accept.split(",")):
        media, *params = [x.strip() for x in part.split(";")]
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        name = ALIASES.get(media.lower())
        if name in table and q > 0:
            choices.append((-q, i, name))
    return min(choices)[2] if choices else ("json" if kind == "results" else "turtle")


def _nt_term(t: dict | None) -> str:
    if t is None:
        return ""
    if t["type"] == "uri":
        return f"<{t['value']}>"
    if t["type"] == "bnode":
        return f"_:{t['value']}"
    lit = json.dumps(t["value"], ensure_ascii=False)
    if "xml:lang" in t:
        return f"{lit}@{t['xml:lang']}"
    return f"{lit}^^<{t['datatype']}>" if "datatype" in t else lit


def format_results(res: dict, fmt: str) -> bytes:
    """A SELECT or ASK result (as kg.query.run_query returns it) in a SPARQL results format."""
    if fmt == "json":
        if res["type"] == "ASK":
            return json.dumps({"head": {}, "boolean": res["boolean"]}).encode()
        bindings = [{v: t for v, t in zip(res["vars"], row) if t is not None} for row in res["rows"]]
        return json.dumps({"head": {"vars": res["vars"]}, "results": {"bindings": bindings}},
                          ensure_ascii=False).encode("utf-8")
    if fmt == "xml":
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
        if res["type"] == "ASK":
            out.append(f"<head/><boolean>{'true' if res['boolean'] else 'false'}</boolean></sparql>")
            return "".join(out).encode("utf-8")
        out.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in res["vars"]) + "</head><results>")
        for row in res["rows"]:
            out.append("<result>")
            for v, t in zip(res["vars"], row):
                if t is None:
                    continue
                if t["type"] == "uri":
                    val = f"<uri>{escape(t['value'])}</uri>"
                elif t["type"] == "bnode":
                    val = f"<bnode>{escape(t['value'])}</bnode>"
                else:
                    attr = (f" xml:lang={quoteattr(t['xml:lang'])}" if "xml:lang" in t else
                            f" datatype={quoteattr(t['datatype'])}" if "datatype" in t else "")
                    val = f"<literal{attr}>{escape(t['value'])}</literal>"
                out.append(f"<binding name={quoteattr(v)}>{val}</binding>")
            out.append("</result>")
        out.append("</results></sparql>\n")
        return "".join(out).encode("utf-8")
    if res["type"] == "ASK":
        return ("true\n" if res["boolean"] else "false\n").encode()
    buf = io.StringIO()
    if fmt == "csv":
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(res["vars"])
        for row in res["rows"]:
            w.writerow([t["value"] if t else "" for t in row])
    else:  # tsv: terms in N-Triples syntax, as the SPARQL 1.1 TSV format says
        buf.write("\t".join(f"?{v}" for v in res["vars"]) + "\n")
        for row in res["rows"]:
            buf.write("\t".join(_nt_term(t).replace("\t", "\\t").replace("\n", "\\n") for t in row) + "\n")
    return buf.getvalue().encode("utf-8")


def format_graph(turtle: str, fmt: str) -> bytes:
    """A CONSTRUCT / DESCRIBE result in an RDF syntax."""
    if fmt == "turtle":
        return turtle.encode("utf-8")
    from kg.export import serialize

    return serialize(Graph().parse(data=turtle, format="turtle"), fmt)


def _page(query: str, result: str = "") -> bytes:
    examples = []
    for q in named_queries().values():
        examples.append(f'<li><a href="/?example={html.escape(q.name, quote=True)}">{html.escape(q.name)}</a>'
                        f" — {html.escape(q.description)}</li>")
    return f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; form-action 'self'">
<title>kg SPARQL endpoint</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:70em}}textarea{{width:100%;height:14em;font-family:monospace}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px;vertical-align:top}}</style></head><body>
<h1>kg SPARQL endpoint</h1>
<p>Read-only SPARQL 1.1 endpoint at <code>/sparql</code> (GET or POST). Prefixes kgo:, kgr:, rdf:, rdfs:, skos:,
owl:, xsd:, dcterms: are predefined. SERVICE, LOAD, FROM and updates are refused.</p>
<form method="get" action="/sparql"><textarea name="query">{html.escape(query)}</textarea><br>
<select name="format"><option value="html">table</option><option value="json">SPARQL JSON</option>
<option value="xml">SPARQL XML</option><option value="csv">CSV</option><option value="tsv">TSV</option>
<option value="turtle">Turtle (CONSTRUCT)</option></select> <button type="submit">Run</button></form>
<h2>Examples</h2><ul>{''.join(examples)}</ul>{result}</body></html>""".encode("utf-8")


def _example_text(name: str) -> str:
    """A named query with its parameters set to the example values its comments give (our own text, shown
    in the query box; a user's values never go through here)."""
    q = named_queries().get(name)
    if q is None:
        return ""
    text = q.text
    for k, v in q.params.items():
        example = v.rsplit("e.g.", 1)[-1].strip() if "e.g." in v else ""
        text = text.replace("WHERE {", f"WHERE {{\n  VALUES ?{k} {{ {json.dumps(example, ensure_ascii=False)} }}", 1)
    return text


def _html_table(res: dict) -> str:
    if res["type"] == "ASK":
        return f"<p>{'true' if res['boolean'] else 'false'}</p>"
    if res["type"] in ("CONSTRUCT", "DESCRIBE"):
        return f"<pre>{html.escape(res['turtle'])}</pre>"
    head = "".join(f"<th>{html.escape(v)}</th>" for v in res["vars"])
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(t['value']) if t else ''}</td>" for t in row) + "</tr>"
                   for row in res["rows"])
    return f"<p>{len(res['rows'])} rows</p><table><tr>{head}</tr>{rows}</table>"


class Handler(BaseHTTPRequestHandler):
    """GET/POST /sparql and the page at /. The graph, time limit and row cap are set on the server."""

    server_version = "kg-sparql"
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        self.timeout = self.server.idle  # an idle or slow client is dropped, its thread freed
        super().setup()

    def log_message(self, fmt: str, *args) -> None:  # one line per request on stderr, unless quiet
        if not getattr(self.server, "quiet", False):
            sys.stderr.write(f"kg serve: {self.address_string()} {fmt % args}\n")

    def _send(self, status: int, body: bytes, ctype: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype if ctype.startswith("text/html") or "charset" in ctype
                         else f"{ctype}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self._send(status, (message + "\n").encode("utf-8"), "text/plain; charset=utf-8")

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlsplit(self.path)
        params = parse_qs(url.query, keep_blank_values=True)
        if url.path == "/":
            example = params.get("example", [""])[0]
            self._send(200, _page(_example_text(example)), "text/html; charset=utf-8")
        elif url.path == "/sparql":
            self._sparql(params, None)
        else:
            self._error(404, f"no such page: {url.path} (the endpoint is /sparql)")

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path != "/sparql":
            return self._error(404, f"no such page: {url.path} (the endpoint is /sparql)")
        declared = (self.headers.get("Content-Length") or "0").strip()
        if not declared.isdigit() or not declared.isascii():  # "-1" would read until the client stops
            self.close_connection = True
            return self._error(400, f"bad Content-Length {declared[:40]!r}: a number of bytes is needed")
        length = int(declared)
        if length > MAX_BODY:
            self.close_connection = True
            self._error(413, f"request body over {MAX_BODY} bytes")
            self.wfile.flush()
            try:
                _linger(self.connection)
            except OSError:
                pass
            return
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        params = parse_qs(url.query, keep_blank_values=True)
        if ctype == "application/sparql-update":
            return self._error(400, "updates are not allowed: this endpoint is read-only")
        if ctype == "application/sparql-query":
            return self._sparql(params, body)
        if ctype in ("application/x-www-form-urlencoded", ""):
            for k, v in parse_qs(body, keep_blank_values=True).items():
                params.setdefault(k, []).extend(v)
            return self._sparql(params, None)
        return self._error(415, f"unsupported Content-Type {ctype}: use application/sparql-query or a form")

    def _sparql(self, params: dict, query: str | None) -> None:
        if "update" in params:
            return self._error(400, "updates are not allowed: this endpoint is read-only")
        if params.get("default-graph-uri") or params.get("named-graph-uri"):
            return self._error(400, "query refused: default-graph-uri / named-graph-uri are not allowed "
                                    "(kg queries only the loaded graph)")
        if query is None:
            values = params.get("query", [])
            if len(values) != 1 or not values[0].strip():
                return self._error(400, "give exactly one 'query' parameter")
            query = values[0]
        fmt = (params.get("format") or params.get("output") or [None])[0]
        srv = self.server
        with srv.pool.slot() as free:
            if not free:
                return self._send(503, b"server busy: every query worker is taken and the queue is full; "
                                       b"try again shortly\n", "text/plain; charset=utf-8", {"Retry-After": "2"})
            try:
                res = run_query(srv.graph, query, timeout=srv.timeout, row_cap=srv.max_rows,
                                max_bytes=srv.max_bytes, memory=srv.max_memory)
            except KgError as exc:
                status = 503 if "query stopped" in str(exc) else 400
                return self._error(status, str(exc))
        truncated = {"X-KG-Truncated": "true"} if res.get("truncated") else {}
        for i, w in enumerate(res.get("warnings", [])[:5]):
            truncated[f"X-KG-Warning-{i + 1}"] = " ".join(w.encode("ascii", "backslashreplace").decode().split())
        if res["type"] in ("CONSTRUCT", "DESCRIBE"):
            name = negotiate(self.headers.get("Accept", ""), fmt, "graph")
            if name == "html":
                return self._send(200, _page(query, _html_table(res)), "text/html; charset=utf-8")
            return self._send(200, format_graph(res["turtle"], name), GRAPH_TYPES[name], truncated)
        name = negotiate(self.headers.get("Accept", ""), fmt, "results")
        if name == "html":
            return self._send(200, _page(query, _html_table(res)), "text/html; charset=utf-8")
        self._send(200, format_results(res, name), RESULT_TYPES[name], truncated)


def _linger(sock, seconds: float = 2.0, most: int = MAX_BODY) -> None:
    """Half-close a socket and read (and drop) what the client still sends, up to ``most`` bytes or
    ``seconds``, so the answer already sent reaches it instead of a connection reset."""
    sock.shutdown(socket.SHUT_WR)
    deadline, read = time.monotonic() + seconds, 0
    sock.settimeout(0.5)
    while time.monotonic() < deadline and read < most:
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, OSError):
            break
        if not chunk:
            break
        read += len(chunk)


class WorkerPool:
    """At most ``workers`` queries run at once (each in its own forked process); up to ``queue`` more wait
    for a turn, at most ``wait`` seconds; past that a request is told the server is busy (503) at once.
    So memory is bounded by the number of workers, however many clients come."""

    def __init__(self, workers: int, queue: int, wait: float) -> None:
        self._slots = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._waiting, self.queue, self.wait = 0, queue, wait

    @contextmanager
    def slot(self) -> Iterator[bool]:
        with self._lock:
            if self._waiting >= self.queue:
                yield False
                return
            self._waiting += 1
        try:
            got = self._slots.acquire(timeout=self.wait)
        finally:
            with self._lock:
                self._waiting -= 1
        if not got:
            yield False
            return
        try:
            yield True
        finally:
            self._slots.release()


class Server(ThreadingHTTPServer):
    """One thread per connection, at most ``max_connections`` of them: past that a connection gets a 503 and
    is closed at once. Idle connections are closed after ``idle`` seconds."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, graph: Graph, host: str, port: int, timeout: float, max_rows: int, quiet: bool,
                 workers: int = 2, max_bytes: int = 16_000_000, max_memory: int = 1024, max_connections: int = 64,
                 idle: float = 30.0, queue: int = 64) -> None:
        super().__init__((host, port), Handler)
        self.graph, self.timeout, self.max_rows, self.quiet = graph, timeout, max_rows, quiet
        self.max_bytes, self.max_memory, self.idle, self.max_connections = max_bytes, max_memory, idle, max_connections
        self.pool = WorkerPool(workers, queue=queue, wait=timeout)
        self._active = 0
        self._active_lock = threading.Lock()
        self._refusers = threading.BoundedSemaphore(max_connections)  # a 503 each, drained, then closed

    def process_request(self, request, client_address) -> None:
        with self._active_lock:
            full = self._active >= self.max_connections
            if not full:
                self._active += 1
        if full:
            if self._refusers.acquire(blocking=False):
                threading.Thread(target=self._refuse, args=(request,), daemon=True).start()
            else:  # refusing politely is itself bounded: past that, the connection is just closed
                self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def _refuse(self, request) -> None:
        """Answer 503 and close so the client can read it: stop writing, then drain what it is still sending
        for a moment (closing with unread data would reset the connection before the answer is read)."""
        try:
            request.settimeout(1.0)
            request.sendall(_BUSY)
            _linger(request)
        except OSError:
            pass
        finally:
            request.close()
            self._refusers.release()

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._active_lock:
                self._active -= 1


def make_server(graph: Graph, host: str = "127.0.0.1", port: int = 0, timeout: float = 10.0,
                max_rows: int = 10_000, quiet: bool = False, workers: int = 2, max_bytes: int = 16_000_000,
                max_memory: int = 1024, max_connections: int = 64, idle: float = 30.0, queue: int = 64) -> Server:
    """A server bound to host:port (port 0: a free one, read it from ``server.server_address``).

    ``workers`` queries run at once, each in a forked process with ``timeout`` seconds, ``max_rows`` rows,
    ``max_bytes`` bytes of result and ``max_memory`` MB of extra memory; ``queue`` more wait for a worker (at
    most ``timeout`` seconds); ``max_connections`` connections are served at once, each closed after ``idle``
    seconds without a request."""
    warm_up()  # rdflib's grammar built here, once, before any thread: workers inherit it
    try:
        return Server(graph, host, port, timeout, max_rows, quiet, workers, max_bytes, max_memory, max_connections,
                      idle, queue)
    except OSError as exc:
        raise KgError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
