"""A persistent, incremental graph store on disk (`kg build --store DIR`).

Layout of DIR:
- ``records/<doc_id>.json``: what extraction found in one document (plain records, no RDF),
  written atomically as soon as that document is done. Documents are keyed by the hash
  of their text, so a file seen before is never parsed again.
- ``oxigraph-<n>/``: an Oxigraph store holding the graph of all records, opened through
  rdflib (the ``oxrdflib`` plugin) so queries run on Oxigraph's engine.
- ``STATE.json``: which ``oxigraph-<n>`` is current and which documents it holds.

A build extracts only the new documents, then resolves entities over all records (so
new mentions merge into existing actors exactly as in a full build), writes a new
Oxigraph directory and switches STATE.json to it with an atomic rename. A crash at any
point leaves the previous store intact; the records of documents that finished are
kept, and the next open rebuilds the store from them. One writer at a time: a second
build on the same store fails at once with a clear message.
"""

from __future__ import annotations

import fcntl
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from rdflib import Graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from kg.errors import KgError
from kg.export import serialize, write_atomic
from kg.records import Document, Mention, Relation

STATE = "STATE.json"


def is_store(path: str | Path) -> bool:
    p = Path(path)
    return p.is_dir() and ((p / STATE).exists() or (p / "records").is_dir())


@contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    """Exclusive lock for writing DIR; a second writer fails at once instead of corrupting it."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "LOCK", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise KgError(f"store {root} is being written by another kg build; try again when it ends") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def known_documents(root: Path) -> set[str]:
    """Hashes of the documents whose records are in the store."""
    d = root / "records"
    return {p.stem for p in d.glob("*.json")} if d.is_dir() else set()


def save_records(root: Path, doc: Document, mentions: list[Mention], relations: list[Relation]) -> None:
    data = {"document": {"path": doc.path, "sha256": doc.sha256, "title": doc.title},
            "mentions": [asdict(m) for m in mentions], "relations": [asdict(r) for r in relations]}
    write_atomic(root / "records" / f"{doc.sha256}.json",
                 json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"))


def load_records(root: Path) -> tuple[list[Document], list[Mention], list[Relation]]:
    """Every document's records, in hash order (the order does not change the graph)."""
    docs, mentions, relations = [], [], []
    for p in sorted((root / "records").glob("*.json")):
        data = json.loads(p.read_text(encoding="utf-8"))
        d = data["document"]
        docs.append(Document(path=d["path"], text="", sha256=d["sha256"], title=d["title"], segments=()))
        mentions += [Mention(**m) for m in data["mentions"]]
        for r in data["relations"]:
            relations.append(Relation(**{**r, "subject": Mention(**r["subject"]), "object": Mention(**r["object"])}))
    return docs, mentions, relations


def _state(root: Path) -> dict:
    try:
        return json.loads((root / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"current": None, "documents": []}


def write_store(root: Path, graph: Graph, documents: list[str]) -> None:
    """Load the graph into a new Oxigraph directory, then switch STATE.json to it (atomic rename)."""
    import pyoxigraph as ox

    n = 1 + max([int(p.name.split("-")[1]) for p in root.glob("oxigraph-*") if p.name.split("-")[1].isdigit()],
                default=0)
    target = root / f"oxigraph-{n}"
    store = ox.Store(str(target))
    store.bulk_load(serialize(graph, "nt"), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
    store.flush()
    del store
    write_atomic(root / STATE, json.dumps({"current": target.name, "documents": sorted(documents)},
                                          indent=1).encode("utf-8"))
    for old in root.glob("oxigraph-*"):  # the previous store and leftovers of interrupted runs
        if old.name != target.name:
            shutil.rmtree(old, ignore_errors=True)


def stale(root: Path) -> bool:
    """Whether records exist that the current Oxigraph store does not hold (an interrupted build)."""
    state = _state(root)
    return state["current"] is None or set(state["documents"]) != known_documents(root)


def open_store(path: str | Path) -> Graph:
    """The store's graph through rdflib, queries running on Oxigraph; rebuilt first if a build was interrupted."""
    root = Path(path)
    if stale(root):
        from kg.pipeline import rebuild_store

        with writer_lock(root):
            if stale(root):
                rebuild_store(root)
    import pyoxigraph as ox
    from oxrdflib.store import OxigraphStore

    # Read-only: any number of readers (kg serve, kg query, a notebook) alongside each other and a writer.
    backend = OxigraphStore(store=ox.Store.read_only(str(root / _state(root)["current"])))
    g = Graph(store=backend, identifier=DATASET_DEFAULT_GRAPH_ID)
    from kg.query import PREFIXES

    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    return g
