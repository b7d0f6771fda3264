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
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from kg.errors import E_GRAPH, E_NAMED, E_QUERY, E_QUERY_FORBIDDEN, KgError
from kg.namespace import KGO, KGR
from kg.ontology import PREFIXES, vocabulary_files

ROW_CAP = 100_000
_PARSE_FORMATS = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".json": "json-ld", ".rdf": "xml",
                  ".xml": "xml", ".owl": "xml", ".trig": "trig", ".nq": "nquads"}
_ARTICLE_SUFFIXES = (".txt", ".html", ".htm", ".jsonl", ".pdf", ".doc", ".docx", ".md")


def load_graph(path: str, with_ontology: bool = True) -> Graph:
    """A graph file (Turtle, N-Triples, JSON-LD, RDF/XML), with the ontology merged in for labels, or a
    store folder written by `kg build --store` (opened on Oxigraph, read as it is: no ontology added)."""
    p = Path(path)
    from kg.store import is_store, open_store

    if is_store(p):
        return open_store(p, with_ontology=with_ontology)
    if p.is_dir():  # the folder `kg build --out` wrote
        if not (p / "graph.ttl").is_file():
            raise KgError(E_GRAPH.format(path=path, detail="a folder with neither a store (kg.sqlite) nor a "
                                                           "graph.ttl; give a graph file, or a folder kg build wrote"))
        p = p / "graph.ttl"
    elif not p.is_file():
        raise KgError(E_GRAPH.format(path=path, detail="no such file"))
    if p.suffix.lower() in _ARTICLE_SUFFIXES:
        raise KgError(E_GRAPH.format(path=path, detail=f"a {p.suffix} file is an article, not a graph; build it "
                                                       f"first (kg build {path} --out DIR), then use DIR"))
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    fmt = _PARSE_FORMATS.get(p.suffix.lower())
    try:
        g.parse(p, format=fmt or "turtle")
    except Exception as exc:  # rdflib raises many parser-specific types
        detail = " ".join(str(exc).split())[:200]
        if fmt is None:
            detail = (f"not Turtle ({detail}); kg reads {', '.join(sorted(_PARSE_FORMATS))} files, "
                      "a store folder, or a folder kg build --out wrote")
        raise KgError(E_GRAPH.format(path=path, detail=detail)) from None
    if with_ontology:
        for f in vocabulary_files():
            g.parse(f, format="turtle")
    return g


_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# SPARQL's lexical rules, as far as the guards need them: comments, strings and IRIs skipped, the keywords
# that reach outside the graph, WHERE and braces (where_brace)
_LEXEME = re.compile(r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<keyword>(?<![\w:?$@])(?:SERVICE|LOAD|FROM)(?![\w:]))
  | (?P<where>(?<![\w:?$])WHERE(?![\w:]))
  | (?P<open>\{) | (?P<close>\})
""", re.VERBOSE | re.IGNORECASE)
_STRUCTURAL = set("\"'<>{}()#\\\n\r")  # what ends a string, IRI or comment or opens a group
_PARSE_LOCK = threading.Lock()


def expand_codepoints(sparql: str) -> str:
    """The query with its ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes replaced, as SPARQL 1.1 (19.2) says a parser
    must before anything else. rdflib does so everywhere; Oxigraph only inside strings and IRIs, so one text
    could read as two different queries. The guard and the engine are both given this expanded text; one
    whose expansion forms new escapes (``\\u005Cu0022``) is refused, so no engine expands anything again."""
    def char(m: re.Match) -> str:
        cp = int(m.group(1) or m.group(2), 16)
        if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
            raise KgError(E_QUERY.format(detail=f"{m.group(0)} is not a character"))
        if chr(cp) in _STRUCTURAL:  # read as a delimiter by one engine and as a letter by the other
            raise KgError(E_QUERY_FORBIDDEN.format(
                what=f"{m.group(0)} (an escaped {chr(cp)!r}: write the character itself, or \\\" in a string)"))
        return chr(cp)

    out = _CODEPOINT.sub(char, sparql)
    if out != sparql and re.search(r"\\[uU]", out):
        raise KgError(E_QUERY_FORBIDDEN.format(what="a \\u escape that spells another escape"))
    return out


def _outside_keywords(sparql: str) -> set[str]:
    """SERVICE, LOAD and FROM where SPARQL's lexical rules make them keywords (not inside a comment, string or
    IRI, not part of a name): a second guard that does not depend on any engine's parser."""
    return {m.group("keyword").upper() for m in _LEXEME.finditer(sparql) if m.lastgroup == "keyword"}


def check_query(sparql: str):
    """Parse a query and refuse anything that reaches outside the graph. Returns the algebra.

    Judges exactly the text an engine will run: give the engine ``expand_codepoints(sparql)``.
    Cached by text: rdflib's parser takes milliseconds, more than Oxigraph takes to answer a
    selective query, and scripts send the same queries again and again. rdflib's parser
    (pyparsing) is not thread-safe, so one thread parses at a time."""
    with _PARSE_LOCK:
        return _checked(sparql)


@lru_cache(maxsize=512)
def _checked(sparql: str):
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    sparql = expand_codepoints(sparql)
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

    if any(getattr(node, "name", None) == "ServiceGraphPattern" for node in _nodes(query.algebra)):
        raise KgError(E_QUERY_FORBIDDEN.format(what="SERVICE"))
    keywords = _outside_keywords(sparql)
    if keywords:
        raise KgError(E_QUERY_FORBIDDEN.format(what=" / ".join(sorted(keywords))))
    return query


def _nodes(node: Any):
    """Every node of a parsed query's algebra, depth first (its parts are dicts, lists and tuples)."""
    yield node
    if isinstance(node, dict):
        for v in node.values():
            yield from _nodes(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _nodes(v)


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


def is_name_param(description: str) -> bool:
    """A parameter described as "name or alias of ..." is an actor's name, matched as the explorer's search
    matches (case and accents ignored), not character for character."""
    return description.lower().startswith("name or alias")


def actor_names(graph: Graph) -> dict[str, dict[Literal, set[URIRef]]]:
    """Every name and alias of the graph's actors by its comparison key (kg.lexicon.norm): the literal as
    the graph holds it, and the actors that carry it."""
    from kg.lexicon import norm

    out: dict[str, dict[Literal, set[URIRef]]] = {}
    base = str(KGR)
    for prop in (RDFS.label, SKOS.altLabel):
        for s, o in graph.subject_objects(prop):
            if isinstance(o, Literal) and str(s).startswith(base):
                out.setdefault(norm(str(o)), {}).setdefault(Literal(str(o)), set()).add(s)
    return out


def match_names(graph: Graph, query_name: str, bindings: dict[str, Literal]) -> tuple[dict, set[URIRef]]:
    """A named query's name parameters bound to the names the graph really holds that match them (case,
    accents and spacing ignored: "ukraine" finds "Ukraine"), and the actors they name. A name that matches
    nothing is an error with the closest names, not an empty answer that looks like success."""
    import difflib

    from kg.lexicon import norm

    params = named_queries()[query_name].params
    wanted = {k: v for k, v in bindings.items() if is_name_param(params.get(k, ""))}
    if not wanted:
        return bindings, set()
    names = actor_names(graph)
    out: dict = dict(bindings)
    actors: set[URIRef] = set()
    for k, value in wanted.items():
        hits = names.get(norm(str(value)))
        if not hits:
            close = difflib.get_close_matches(norm(str(value)), list(names), n=3, cutoff=0.6)
            shown = ", ".join(dict.fromkeys(str(lit) for c in close for lit in sorted(names[c], key=str))) or "none"
            raise KgError(f"no actor named {str(value)!r} in the graph (--param {k}; case and accents are "
                          f"ignored); closest names: {shown}")
        out[k] = sorted(hits, key=str)
        actors |= {a for ids in hits.values() for a in ids}
    return out, actors


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


def where_brace(sparql: str) -> int | None:
    """Offset just inside the opening brace of the query's WHERE group, found by SPARQL's lexical rules
    (comments, strings and IRIs skipped; an IRI cannot hold a space, so `?a < ?b` is not one), or None."""
    depth, seen_where, form = 0, False, None
    for m in _LEXEME.finditer(sparql):
        kind = m.lastgroup
        if kind in ("comment", "string", "iri", "keyword"):
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
    """The query with its bindings (a value, or a list of values: one row each) as a VALUES block opening its
    WHERE group (or, failing that, a trailing VALUES clause), which SPARQL joins with the pattern before
    projection, as rdflib's initBindings does.
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

    import itertools

    names = sorted(bindings)
    choices = [bindings[n] if isinstance(bindings[n], (list, tuple)) else [bindings[n]] for n in names]
    rows = " ".join(f"({' '.join(term(v) for v in row)})" for row in itertools.product(*choices))
    values = f"VALUES ({' '.join('?' + str(n) for n in names)}) {{ {rows} }}"
    at = where_brace(sparql)
    if at is None:
        return f"{sparql}\n{values}"
    return f"{sparql[:at]} {values} {sparql[at:]}"


def unknown_terms(query) -> list[str]:
    """``kgo:`` terms a parsed query names that the ontology does not define, each with the closest term it
    does: a query for ``kgo:lead`` answers nothing, and should say why."""
    import difflib

    ns = str(KGO._NS)
    known = sorted(str(term)[len(ns):] for term in dir(KGO))
    found = {str(node)[len(ns):] for node in _nodes(query.algebra)
             if isinstance(node, URIRef) and str(node).startswith(ns) and str(node)[len(ns):] not in known}
    out = []
    for name in sorted(found):
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        out.append(f"unknown term kgo:{name}" + (f"; did you mean kgo:{close[0]}?" if close else
                                                 " (kg queries lists the named queries; docs/ontology.md the terms)"))
    return out


class _Budget:
    """Counts the bytes of a result as it is read, so a result is cut at ``max_bytes`` as at ``row_cap`` rows."""

    def __init__(self, row_cap: int, max_bytes: int | None) -> None:
        self.rows, self.bytes, self.row_cap, self.max_bytes = 0, 0, row_cap, max_bytes

    def take(self, size: int) -> bool:
        """Whether one more row of ``size`` bytes fits."""
        if self.rows >= self.row_cap or (self.max_bytes is not None and self.bytes + size > self.max_bytes):
            return False
        self.rows, self.bytes = self.rows + 1, self.bytes + size
        return True


def execute(graph: Graph, sparql: str, bindings: dict | None, row_cap: int = ROW_CAP,
            max_bytes: int | None = None) -> dict:
    """Run a query in this process (``run_query`` adds the time limit). On a store, Oxigraph's engine runs
    it: rdflib would otherwise fall back to its own engine over the store's triple patterns. At most
    ``row_cap`` rows (triples) and ``max_bytes`` bytes of values are kept; ``truncated`` says if some were not."""
    query = check_query(sparql)
    warnings = unknown_terms(query)
    if on_oxigraph(graph):  # the text the guard judged: escapes expanded once, here, for both
        res = graph.query(with_values(expand_codepoints(sparql), bindings or {}),
                          initNs={k: str(v) for k, v in PREFIXES.items()})
    elif any(isinstance(v, (list, tuple)) for v in (bindings or {}).values()):  # several values: VALUES rows
        res = graph.query(with_values(expand_codepoints(sparql), bindings), initNs=PREFIXES)
    else:
        res = graph.query(query, initNs=PREFIXES, initBindings=bindings or {})
    budget = _Budget(row_cap, max_bytes)
    if res.type == "ASK":
        return {"type": "ASK", "boolean": bool(res.askAnswer), "warnings": warnings}
    if res.type in ("CONSTRUCT", "DESCRIBE"):
        out = Graph()
        for prefix, ns in PREFIXES.items():
            out.bind(prefix, ns)
        truncated = False
        for triple in res.graph:
            if not budget.take(sum(len(str(t)) for t in triple) + 8):
                truncated = True
                break
            out.add(triple)
        return {"type": res.type, "turtle": out.serialize(format="turtle"), "truncated": truncated,
                "warnings": warnings}
    names = [str(v) for v in res.vars]
    rows = []
    for row in res:
        terms = [_term(row[v]) for v in res.vars]
        if not budget.take(sum(len(t["value"]) + 16 for t in terms if t) + 2):
            return {"type": "SELECT", "vars": names, "rows": rows, "truncated": True, "warnings": warnings}
        rows.append(terms)
    return {"type": "SELECT", "vars": names, "rows": rows, "truncated": False, "warnings": warnings}


def _limit_memory(megabytes: int | None) -> None:
    """Cap this (forked) process's address space at what it has now plus ``megabytes``: a query that builds a
    huge string or result fails alone instead of taking the machine's memory."""
    if not megabytes:
        return
    import resource

    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[0])
    limit = pages * resource.getpagesize() + megabytes * 1024 * 1024
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def _worker(conn, graph: Graph, sparql: str, bindings: dict | None, row_cap: int, max_bytes: int | None,
            memory: int | None) -> None:
    try:
        _limit_memory(memory)
        conn.send(("ok", execute(graph, sparql, bindings, row_cap, max_bytes)))
    except KgError as exc:
        conn.send(("kg", str(exc)))
    except MemoryError:
        conn.send(("kg", f"query stopped: it needed more than {memory} MB of memory; narrow it"))
    except Exception as exc:  # engine errors on a valid parse: report, don't crash
        conn.send(("kg", E_QUERY.format(detail=" ".join(str(exc).split())[:300])))
    finally:
        conn.close()


def warm_up() -> None:
    """Parse one query in this process, so forked workers start with rdflib's grammar already built instead
    of each paying for it (a server calls this once, before its threads start)."""
    check_query("ASK { ?s ?p ?o }")


def run_query(graph: Graph, sparql: str, bindings: dict | None = None, timeout: float = 30.0,
              row_cap: int = ROW_CAP, max_bytes: int | None = None, memory: int | None = None) -> dict:
    """Check and run a query in a forked worker with a wall-clock limit, a row and byte cap and, with
    ``memory``, a cap on the worker's extra memory in MB; returns a plain dict (SPARQL JSON-like).

    The query is parsed in the worker too, so a query that takes long to parse is stopped at the limit like
    one that takes long to run, and a server's threads never share rdflib's (not thread-safe) parser."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_worker, args=(child, graph, sparql, bindings, row_cap, max_bytes, memory),
                       daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(timeout):
            proc.kill()
            raise KgError(f"query stopped after {timeout:g} s (time limit); narrow it or raise --timeout")
        try:
            status, payload = parent.recv()
        except EOFError:  # the worker died without answering: out of memory in the engine, or killed
            raise KgError("query stopped: its worker ended without an answer"
                          + (f" (it needed more than {memory} MB of memory?); narrow it" if memory else "")) from None
    finally:
        parent.close()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
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
