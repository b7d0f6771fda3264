"""SPARQL over a built graph: load it with the ontology, check the query, run it with a time limit.

A query is untrusted text. rdflib's engine would fetch URLs for SERVICE, LOAD and
FROM <url>, and read local files for FROM <file:...>: those are refused after
parsing, before anything runs. The query runs in a forked worker so a runaway
query is stopped at its wall-clock limit and the caller stays responsive.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing as mp
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef

from kg.errors import E_GRAPH, E_NAMED, E_QUERY, E_QUERY_FORBIDDEN, KgError
from kg.ontology import PREFIXES, vocabulary_files

ROW_CAP = 100_000
_PARSE_FORMATS = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".json": "json-ld", ".rdf": "xml",
                  ".xml": "xml", ".owl": "xml", ".trig": "trig", ".nq": "nquads"}


def load_graph(path: str, with_ontology: bool = True) -> Graph:
    """A graph file (Turtle, N-Triples, JSON-LD, RDF/XML), with the ontology merged in for labels, or a
    store folder written by `kg build --store` (opened on Oxigraph, read as it is: no ontology added)."""
    p = Path(path)
    from kg.store import is_store, open_store

    if is_store(p):
        return open_store(p, with_ontology=with_ontology)
    if not p.is_file():
        raise KgError(E_GRAPH.format(path=path, detail="no such file"))
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    try:
        g.parse(p, format=_PARSE_FORMATS.get(p.suffix.lower(), "turtle"))
    except Exception as exc:  # rdflib raises many parser-specific types
        raise KgError(E_GRAPH.format(path=path, detail=str(exc).splitlines()[0][:200])) from None
    if with_ontology:
        for f in vocabulary_files():
            g.parse(f, format="turtle")
    return g


def check_query(sparql: str):
    """Parse a query and refuse anything that reaches outside the graph. Returns the algebra.

    Cached by text: rdflib's parser takes milliseconds, more than Oxigraph takes to answer a
    selective query, and endpoints and scripts send the same queries again and again."""
    return _checked(sparql)


@lru_cache(maxsize=512)
def _checked(sparql: str):
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    try:
        parsed = parseQuery(sparql)
    except Exception as exc:
        try:
            parseUpdate(sparql)
        except Exception:
            raise KgError(E_QUERY.format(detail=" ".join(str(exc).split())[:300])) from None
        raise KgError(E_QUERY_FORBIDDEN.format(what="an update (INSERT, DELETE, LOAD, CLEAR...)")) from None
    if "datasetClause" in parsed[1].keys():
        raise KgError(E_QUERY_FORBIDDEN.format(what="FROM / FROM NAMED"))
    try:
        query = translateQuery(parsed, initNs=PREFIXES)
    except Exception as exc:
        raise KgError(E_QUERY.format(detail=" ".join(str(exc).split())[:300])) from None

    def walk(node: Any) -> None:
        name = getattr(node, "name", None)
        if name == "ServiceGraphPattern":
            raise KgError(E_QUERY_FORBIDDEN.format(what="SERVICE"))
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v)

    walk(query.algebra)
    return query


@dataclass(frozen=True)
class NamedQuery:
    """A query shipped in kg/queries/: its first comment line describes it, ``# param NAME: ...`` lines declare
    the variables a caller must bind."""

    name: str
    description: str
    params: dict[str, str]
    text: str


_PARAM = re.compile(r"^#\s*param\s+([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$")


def named_queries() -> dict[str, NamedQuery]:
    """Every .rq file in kg/queries/, by file stem."""
    out = {}
    for f in sorted(resources.files("kg").joinpath("queries").iterdir(), key=lambda f: f.name):
        if not f.name.endswith(".rq"):
            continue
        text = f.read_text(encoding="utf-8")
        comments = [line for line in text.splitlines() if line.startswith("#")]
        params = {m.group(1): m.group(2).strip() for m in (_PARAM.match(c) for c in comments) if m}
        desc = next((c.lstrip("# ").strip() for c in comments if not _PARAM.match(c)), "")
        out[f.name[:-3]] = NamedQuery(f.name[:-3], desc, params, text)
    return out


def named_query(name: str, params: list[str]) -> tuple[str, dict[str, Literal]]:
    """The text of a named query and its bindings from ``NAME=VALUE`` strings.

    Values become RDF literals passed as ``initBindings``: they are never pasted into
    the query text, so quotes, braces or newlines in a name cannot change the query.
    """
    queries = named_queries()
    if name not in queries:
        raise KgError(E_NAMED.format(name=name, choices=", ".join(queries)))
    q = queries[name]
    bindings: dict[str, Literal] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in q.params:
            wanted = ", ".join(f"{k}=..." for k in q.params) or "none"
            raise KgError(f"query '{name}' takes --param {wanted} (got '{item}')")
        bindings[key.strip()] = Literal(value)
    missing = [k for k in q.params if k not in bindings]
    if missing:
        raise KgError(f"query '{name}' needs --param {', '.join(f'{k}=...' for k in missing)} "
                      f"({'; '.join(q.params[k] for k in missing)})")
    return q.text, bindings


def _term(t: Any) -> dict | None:
    if t is None:
        return None
    if isinstance(t, URIRef):
        return {"type": "uri", "value": str(t)}
    if isinstance(t, BNode):
        return {"type": "bnode", "value": str(t)}
    d: dict = {"type": "literal", "value": str(t)}
    if isinstance(t, Literal) and t.language:
        d["xml:lang"] = t.language
    elif isinstance(t, Literal) and t.datatype:
        d["datatype"] = str(t.datatype)
    return d


def on_oxigraph(graph: Graph) -> bool:
    return type(graph.store).__name__ == "OxigraphStore"


_LEXEME = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<where>(?<![\w:?$])WHERE(?![\w:]))
  | (?P<open>\{) | (?P<close>\})
""", re.VERBOSE | re.IGNORECASE)


def where_brace(sparql: str) -> int | None:
    """Offset just inside the opening brace of the query's WHERE group, found by SPARQL's lexical rules
    (comments, strings and IRIs skipped; an IRI cannot hold a space, so `?a < ?b` is not one), or None."""
    depth, seen_where, form = 0, False, None
    for m in _LEXEME.finditer(sparql):
        kind = m.lastgroup
        if kind in ("comment", "string", "iri"):
            continue
        if kind == "where" and depth == 0:
            seen_where = True
        elif kind == "open":
            if depth == 0:
                if form is None:
                    form = "construct" if re.search(r"(?<![\w:?$])CONSTRUCT(?![\w:])", sparql[:m.start()],
                                                    re.IGNORECASE) else "other"
                    if form == "construct" and seen_where:
                        return None  # CONSTRUCT WHERE { triples }: the short form takes triples only
                if seen_where or form == "other":
                    return m.end()
            depth += 1
        elif kind == "close":
            depth -= 1
    return None


def with_values(sparql: str, bindings: dict) -> str:
    """The query with its bindings as a VALUES block opening its WHERE group (or, failing that, a trailing
    VALUES clause), which SPARQL joins with the pattern before projection, as rdflib's initBindings does.
    Oxigraph only substitutes projected variables, so this is how bound parameters reach it; at the head
    of the group its planner starts from them. Each value is written by Oxigraph's own term serialiser
    (N-Triples escaping), so a value is always one RDF term and never becomes query syntax."""
    if not bindings:
        return sparql
    import pyoxigraph as ox

    def term(v) -> str:
        if isinstance(v, URIRef):
            return str(ox.NamedNode(str(v)))
        if isinstance(v, Literal) and v.language:
            return str(ox.Literal(str(v), language=v.language))
        if isinstance(v, Literal) and v.datatype:
            return str(ox.Literal(str(v), datatype=ox.NamedNode(str(v.datatype))))
        return str(ox.Literal(str(v)))

    names = sorted(bindings)
    values = f"VALUES ({' '.join('?' + str(n) for n in names)}) {{ ({' '.join(term(bindings[n]) for n in names)}) }}"
    at = where_brace(sparql)
    if at is None:
        return f"{sparql}\n{values}"
    return f"{sparql[:at]} {values} {sparql[at:]}"


def execute(graph: Graph, sparql: str, bindings: dict | None, row_cap: int = ROW_CAP) -> dict:
    """Run a query in this process (``run_query`` adds the time limit). On a store, Oxigraph's engine runs
    it: rdflib would otherwise fall back to its own engine over the store's triple patterns."""
    query = check_query(sparql)
    if on_oxigraph(graph):
        res = graph.query(with_values(sparql, bindings or {}), initNs={k: str(v) for k, v in PREFIXES.items()})
    else:
        res = graph.query(query, initNs=PREFIXES, initBindings=bindings or {})
    if res.type == "ASK":
        return {"type": "ASK", "boolean": bool(res.askAnswer)}
    if res.type in ("CONSTRUCT", "DESCRIBE"):
        out = Graph()
        for prefix, ns in PREFIXES.items():
            out.bind(prefix, ns)
        for i, triple in enumerate(res.graph):
            if i >= row_cap:
                break
            out.add(triple)
        return {"type": res.type, "turtle": out.serialize(format="turtle")}
    names = [str(v) for v in res.vars]
    rows = []
    for i, row in enumerate(res):
        if i >= row_cap:
            return {"type": "SELECT", "vars": names, "rows": rows, "truncated": True}
        rows.append([_term(row[v]) for v in res.vars])
    return {"type": "SELECT", "vars": names, "rows": rows, "truncated": False}


def _worker(conn, graph: Graph, sparql: str, bindings: dict | None, row_cap: int) -> None:
    try:
        conn.send(("ok", execute(graph, sparql, bindings, row_cap)))
    except KgError as exc:
        conn.send(("kg", str(exc)))
    except Exception as exc:  # engine errors on a valid parse: report, don't crash
        conn.send(("kg", E_QUERY.format(detail=" ".join(str(exc).split())[:300])))
    finally:
        conn.close()


def run_query(graph: Graph, sparql: str, bindings: dict | None = None, timeout: float = 30.0,
              row_cap: int = ROW_CAP) -> dict:
    """Run a checked query with a wall-clock limit and a row cap; returns a plain dict (SPARQL JSON-like)."""
    check_query(sparql)  # fail fast in the caller with the exact message
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_worker, args=(child, graph, sparql, bindings, row_cap), daemon=True)
    proc.start()
    child.close()
    if not parent.poll(timeout):
        proc.kill()
        proc.join()
        raise KgError(f"query stopped after {timeout:g} s (time limit); narrow it or raise --timeout")
    status, payload = parent.recv()
    proc.join()
    if status != "ok":
        raise KgError(payload)
    return payload


def _short(term: dict | None, prefixes: dict[str, str]) -> str:
    if term is None:
        return ""
    v = term["value"]
    if term["type"] == "uri":
        for p, ns in sorted(prefixes.items(), key=lambda kv: -len(str(kv[1]))):
            if v.startswith(str(ns)):
                return f"{p}:{v[len(str(ns)):]}"
    return v


def format_result(res: dict, fmt: str = "table") -> str:
    """SELECT as an aligned table, CSV or SPARQL JSON; ASK as true/false; CONSTRUCT as Turtle."""
    if res["type"] == "ASK":
        return ("true" if res["boolean"] else "false") + "\n"
    if res["type"] in ("CONSTRUCT", "DESCRIBE"):
        return res["turtle"]
    if fmt == "json":
        bindings = [{v: t for v, t in zip(res["vars"], row) if t is not None} for row in res["rows"]]
        return json.dumps({"head": {"vars": res["vars"]}, "results": {"bindings": bindings}},
                          ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(res["vars"])
        for row in res["rows"]:
            w.writerow([t["value"] if t else "" for t in row])
        return buf.getvalue()
    cells = [[_short(t, PREFIXES) for t in row] for row in res["rows"]]
    widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(res["vars"])]
    lines = [" | ".join(v.ljust(w) for v, w in zip(res["vars"], widths)),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells]
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(lines) + "\n"
