"""Serialise a graph for other tools, deterministically and atomically.

RDF syntaxes for triple stores (Turtle, N-Triples, RDF/XML, JSON-LD with a context
of short names, and N-Quads / TriG with one named graph per source document);
GraphML and GEXF for Gephi, Cytoscape and networkx; nodes.csv + edges.csv for
Neo4j's and Kuzu's bulk importers. Every file is written to a temporary name and
renamed into place, so a failed export never leaves a truncated file where the
previous good one was.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import stat
import tempfile
from decimal import Decimal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rdflib import RDF, Dataset, Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDFS, SKOS, XSD

from kg.errors import E_FORMAT, KgError
from kg.graph import decimal_literal
from kg.namespace import KGO, KGR, WD
from kg.render import PREDICATES

FORMATS = {"turtle": "turtle", "ttl": "turtle", "nt": "nt", "ntriples": "nt", "nquads": "nquads", "nq": "nquads",
           "trig": "trig", "jsonld": "json-ld", "json-ld": "json-ld", "xml": "xml", "rdfxml": "xml",
           "graphml": "graphml", "gexf": "gexf", "csv": "csv"}
RDF_FORMATS = ("turtle", "nt", "nquads", "trig", "json-ld", "xml")
PREFIXES = {"kgo": str(KGO._NS), "kgr": str(KGR), "rdf": str(RDF), "rdfs": str(RDFS), "skos": str(SKOS),
            "owl": str(OWL), "xsd": str(XSD), "dcterms": str(DCTERMS), "wd": str(WD)}


def jsonld_context() -> dict:
    """Short names for JSON-LD: prefixes, plus one term per property, IRIs typed as @id."""
    ctx: dict = dict(PREFIXES)
    ctx.update({"label": "rdfs:label", "altLabel": "skos:altLabel", "title": "dcterms:title",
                "sameAs": {"@id": "owl:sameAs", "@type": "@id"}})
    for p in PREDICATES + ("source", "document", "mentionedIn", "mention"):
        ctx[p] = {"@id": f"kgo:{p}", "@type": "@id"}
    for p in ("evidence", "start", "end", "rule", "confidence", "currency", "surface", "path", "sha256", "model",
              "software"):
        ctx[p] = f"kgo:{p}"
    ctx.update({"subject": {"@id": "rdf:subject", "@type": "@id"}, "predicate": {"@id": "rdf:predicate", "@type": "@id"},
                "object": {"@id": "rdf:object", "@type": "@id"}})
    return ctx


def _in_memory(graph: Graph) -> Graph:
    """An rdflib in-memory copy of a graph read from an Oxigraph store, with ``"x"^^xsd:string`` written
    back as the plain literal ``"x"`` (the same RDF 1.1 term) and decimals in kg's lexical form, so exports
    of a store and of a file match byte for byte."""
    if type(graph.store).__name__ != "OxigraphStore":
        return graph
    from rdflib import Literal

    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    for s, p, o in graph.triples((None, None, None)):
        if isinstance(o, Literal) and o.datatype == XSD.string:
            o = Literal(str(o))
        elif isinstance(o, Literal) and o.datatype == XSD.decimal and isinstance(o.value, Decimal):
            o = decimal_literal(o.value)  # Oxigraph keeps its own canonical form ("5" for "5.0")
        g.add((s, p, o))
    return g


def _sorted_lines(text: str) -> bytes:
    return ("\n".join(sorted({line for line in text.splitlines() if line.strip()})) + "\n").encode("utf-8")


def documents(graph: Graph) -> list[URIRef]:
    return sorted(d for d in graph.subjects(RDF.type, KGO.Document) if isinstance(d, URIRef))


def document_graph(graph: Graph, doc: URIRef) -> Graph:
    """What one document states: its relation triples and their statements, its mentions, which actors it
    mentions. Read through triple patterns, so it is as cheap on an Oxigraph store as in memory."""
    g = Graph()
    for st in graph.subjects(KGO.source, doc):
        for p, o in graph.predicate_objects(st):
            g.add((st, p, o))
        s, p, o = graph.value(st, RDF.subject), graph.value(st, RDF.predicate), graph.value(st, RDF.object)
        if (s, p, o) in graph:
            g.add((s, p, o))
    for mn in graph.subjects(KGO.document, doc):
        for p, o in graph.predicate_objects(mn):
            g.add((mn, p, o))
        for actor in graph.subjects(KGO.mention, mn):
            g.add((actor, KGO.mention, mn))
    for actor in graph.subjects(KGO.mentionedIn, doc):
        g.add((actor, KGO.mentionedIn, doc))
    return g


def shared_graph(graph: Graph) -> Graph:
    """Everything no single document owns: the actors (class, names, Wikidata), the documents, the build."""
    relation = {KGO[p] for p in PREDICATES}
    owned_by_doc = (KGO.mention, KGO.mentionedIn)
    g = Graph()
    for s, p, o in graph.triples((None, None, None)):
        if p in owned_by_doc or (s, RDF.type, KGO.Statement) in graph or (s, RDF.type, KGO.Mention) in graph:
            continue
        if p in relation and _stated(graph, s, p, o):
            continue
        g.add((s, p, o))
    return g


def _stated(graph: Graph, s, p, o) -> bool:
    """Whether a statement gives this direct relation triple a source document (then that document owns it)."""
    return any((st, RDF.predicate, p) in graph and (st, RDF.object, o) in graph and (st, KGO.source, None) in graph
               for st in graph.subjects(RDF.subject, s))


def by_document(graph: Graph) -> Dataset:
    """The graph split into named graphs: what each document states in its own graph (the relation
    triples, their statements, the mentions), everything else (actors, documents) in the default graph.
    The union of all graphs is the input graph."""
    ds = Dataset()
    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns)
    for doc in documents(graph):
        named = ds.graph(doc)
        for t in document_graph(graph, doc):
            named.add(t)
    default = ds.default_graph if hasattr(ds, "default_graph") else ds.default_context
    for t in shared_graph(graph):
        default.add(t)
    return ds


def _trig(ds: Dataset) -> bytes:
    """TriG with the graphs in IRI order and each graph's body as rdflib's (sorted) Turtle writes it."""
    prefixes: set[str] = set()
    blocks = []
    for g in sorted(ds.graphs(), key=lambda g: str(g.identifier)):
        if len(g) == 0:
            continue
        lines = g.serialize(format="turtle").splitlines()
        prefixes.update(line for line in lines if line.startswith("@prefix"))
        body = "\n".join(line for line in lines if not line.startswith("@prefix")).strip()
        default = str(g.identifier) == "urn:x-rdflib:default"
        blocks.append(body if default else f"<{g.identifier}> {{\n{body}\n}}")
    return ("\n".join(sorted(prefixes)) + "\n\n" + "\n\n".join(blocks) + "\n").encode("utf-8")


def _jsonld(graph: Graph) -> bytes:
    data = json.loads(graph.serialize(format="json-ld", context=jsonld_context(), auto_compact=True,
                                      encoding="utf-8"))
    nodes = data.get("@graph", [])
    nodes.sort(key=lambda n: n.get("@id", ""))
    for node in nodes:
        for v in node.values():
            if isinstance(v, list):
                v.sort(key=lambda x: json.dumps(x, sort_keys=True, ensure_ascii=False))
    return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def serialize(graph: Graph, fmt: str = "turtle") -> bytes:
    """The graph in an RDF syntax, byte-identical for the same triples."""
    if FORMATS.get(fmt) not in RDF_FORMATS:
        raise KgError(E_FORMAT.format(fmt=fmt, choices=", ".join(sorted(set(FORMATS)))))
    rdf_fmt = FORMATS[fmt]
    graph = _in_memory(graph)
    if rdf_fmt == "nt":
        return _sorted_lines(graph.serialize(format="nt", encoding="utf-8").decode("utf-8"))
    if rdf_fmt == "nquads":
        return _sorted_lines(by_document(graph).serialize(format="nquads", encoding="utf-8").decode("utf-8"))
    if rdf_fmt == "trig":
        return _trig(by_document(graph))
    if rdf_fmt == "json-ld":
        return _jsonld(graph)
    if rdf_fmt == "xml":
        return _rdfxml(graph)
    return graph.serialize(format=rdf_fmt, encoding="utf-8")


def _rdfxml(graph: Graph) -> bytes:
    """RDF/XML with subjects in sorted order. rdflib writes subjects in the order of its store's set of
    triples (hash order) and each subject's properties in insertion order: insert sorted, then sort the
    top-level rdf:Description blocks."""
    g = Graph()
    for prefix, ns in graph.namespaces():
        g.bind(prefix, ns)
    for t in sorted(graph, key=lambda t: tuple(x.n3() for x in t)):
        g.add(t)
    text = g.serialize(format="xml")
    head, sep, rest = text.partition("\n  <rdf:Description")
    if not sep:
        return text.encode("utf-8")
    body, _, tail = rest.rpartition("  </rdf:Description>\n")
    blocks = ("  <rdf:Description" + body + "  </rdf:Description>\n").split("  </rdf:Description>\n  <rdf:Description")
    blocks = [b if b.startswith("  <rdf:Description") else "  <rdf:Description" + b for b in blocks]
    blocks = [b if b.endswith("  </rdf:Description>\n") else b + "  </rdf:Description>\n" for b in blocks]
    return (head + "\n" + "".join(sorted(blocks)) + tail).encode("utf-8")


# ---- property graphs: GraphML, GEXF, CSV -------------------------------------------------------

def property_graph(graph: Graph):
    """Actors and relations as a networkx MultiDiGraph: one node per actor (label, type, aliases,
    Wikidata), one edge per relation keyed by predicate (evidence, documents, amounts)."""
    import networkx as nx

    from kg.render import network_data

    data = network_data(graph)
    g = nx.MultiDiGraph()
    for n in data["nodes"]:
        g.add_node(n["id"], label=n["label"], type=n["type"], aliases=" | ".join(n["aliases"]),
                   wikidata=n["wikidata"], degree=n["degree"])
    for e in data["edges"]:
        ev = e["evidence"]
        g.add_edge(e["from"], e["to"], key=e["predicate"], predicate=e["predicate"], family=e["family"],
                   label=e["predicate"], evidence=" | ".join(x["sentence"] for x in ev),
                   documents=" | ".join(data["documents"][x["doc"]] for x in ev if x["doc"] >= 0),
                   amounts=" | ".join(x["amount"] for x in ev if x["amount"]), statements=len(ev))
    return g


def _graphml(graph: Graph) -> bytes:
    import networkx as nx

    buf = io.BytesIO()
    nx.write_graphml(property_graph(graph), buf, encoding="utf-8")
    return buf.getvalue()


def _gexf(graph: Graph) -> bytes:
    import networkx as nx

    from kg.render import EDGE_COLORS, TYPE_COLORS

    def rgb(hexa: str) -> dict:
        return {"r": int(hexa[1:3], 16), "g": int(hexa[3:5], 16), "b": int(hexa[5:7], 16), "a": 1.0}

    g = property_graph(graph)
    for _, attrs in g.nodes(data=True):
        attrs["viz"] = {"color": rgb(TYPE_COLORS[attrs["type"]]), "size": 5.0 + 2 * attrs["degree"]}
    for _, _, attrs in g.edges(data=True):
        attrs["viz"] = {"color": rgb(EDGE_COLORS[attrs["predicate"]])}
    buf = io.BytesIO()
    nx.write_gexf(g, buf, encoding="utf-8")
    # networkx stamps today's date in <meta lastmodifieddate=...>: drop it so the output is reproducible.
    return re.sub(rb' lastmodifieddate="[^"]*"', b"", buf.getvalue(), count=1)


def csv_tables(graph: Graph) -> dict[str, bytes]:
    """nodes.csv and edges.csv with the header syntax of `neo4j-admin database import` (also read by Kuzu's
    COPY FROM with HEADER=true). Several sentences or amounts for one relation are joined with " | "."""
    from kg.render import PARENT_TYPE

    g = property_graph(graph)

    def table(header, rows):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        return buf.getvalue().encode("utf-8")

    nodes = table(["id:ID", "name", "type", "aliases", "wikidata", ":LABEL"],
                  [[n, a["label"], a["type"], a["aliases"], a["wikidata"],
                    ";".join(x for x in (a["type"], PARENT_TYPE.get(a["type"])) if x)]
                   for n, a in g.nodes(data=True)])
    edges = table([":START_ID", ":END_ID", ":TYPE", "evidence", "documents", "amounts", "statements:int"],
                  [[u, v, a["predicate"], a["evidence"], a["documents"], a["amounts"], a["statements"]]
                   for u, v, a in g.edges(data=True)])
    return {"nodes.csv": nodes, "edges.csv": edges}


@contextmanager
def folder_lock(folder: Path, busy: str) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` for the block; a second holder fails at once with ``busy``
    instead of interleaving its files with ours. The lock is on the folder itself (no lock file left
    among the outputs), and the kernel drops it when the process dies, so a killed build never leaves
    the folder locked."""
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise KgError(busy) from None
        yield
    except BaseException:
        if created:  # a failed run leaves no empty folder behind
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
    finally:
        os.close(fd)  # releases the lock


def _mode_for(path: Path) -> int:
    """The permissions a written file gets: those of the file it replaces, else what the umask allows
    (mkstemp's 0600 would hide a graph from the rest of a team)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _write_temp(path: Path, data: bytes) -> str:
    """``data`` in a new temporary file beside ``path``, on disk (fsync), with ``path``'s permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), _mode_for(path))
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException as exc:
        _unlink(tmp)
        if isinstance(exc, OSError):
            raise KgError(f"cannot write {path}: {exc.strerror or exc}; nothing was replaced (the files there "
                          "stay as they were)") from None
        raise
    return tmp


def _unlink(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to path via a temporary file in the same folder and an atomic rename."""
    write_together({path: data})


def write_together(files: dict[Path, bytes]) -> None:
    """Write several files so that they appear together or not at all: every one is written in full to a
    temporary name first (a full disk stops it there, with the old files untouched and named in the error),
    then each is renamed into place."""
    done: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            done.append((_write_temp(path, data), path))
        for tmp, path in done:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in done:
            _unlink(tmp)
        raise


def export(graph: Graph, path: Path, fmt: str = "turtle") -> list[Path]:
    """Write the graph in ``fmt`` to ``path`` (a folder for csv); returns the files written."""
    kind = FORMATS.get(fmt)
    if kind is None:
        raise KgError(E_FORMAT.format(fmt=fmt, choices=", ".join(sorted(set(FORMATS)))))
    if kind == "csv":
        if (path.exists() and not path.is_dir()) or (not path.exists() and path.suffix):
            what = "is a file" if path.exists() else "looks like a file name"
            raise KgError(f"--format csv writes two files, nodes.csv and edges.csv, into a folder; {path} {what}: "
                          "give a folder, e.g. --out csv/")
        tables = {path / name: data for name, data in csv_tables(graph).items()}
        write_together(tables)
        return list(tables)
    data = {"graphml": _graphml, "gexf": _gexf}.get(kind, lambda g: serialize(g, fmt))(graph)
    write_atomic(path, data)
    return [path]
