"""The build: files in, graph out, each stage in order (ingest -> nlp -> extract -> resolve -> graph).

A library function, so Python users get what `kg build` does without the CLI.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rdflib import Graph

from kg.errors import E_NO_DOCS, KgError
from kg.extract.relations import extract
from kg.graph import build_graph
from kg.ingest import read_documents
from kg.lexicon import Lexicon, load_lexicon
from kg.nlp import MODEL, ParseCache, model_version, parse
from kg.records import Document, Entity, Mention, Relation
from kg.resolve import resolve


@dataclass
class BuildResult:
    graph: Graph
    documents: list[Document]
    entities: dict[str, Entity]
    relations: list[Relation]
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


def build(paths: Iterable[str], gazetteers: tuple[str, ...] = (), lexicon: Lexicon | None = None,
          progress: Callable[[Iterable], Iterable] | None = None, workers: int = 1,
          cache_dir: str | None = None) -> BuildResult:
    """Read, parse, extract, resolve and build the graph of the given files and folders.

    ``workers`` spaCy processes parse in parallel; ``cache_dir`` keeps parses so a
    second build of the same texts (e.g. after changing a rule) skips spaCy.
    """
    t0 = time.perf_counter()
    lex = lexicon or load_lexicon(gazetteers)
    docs: list[Document] = []
    skipped: list[str] = []
    for item in read_documents(list(paths), lex.boilerplate):
        if isinstance(item, KgError):
            skipped.append(str(item))
        else:
            docs.append(item)
    if not docs:
        raise KgError(E_NO_DOCS.format(paths=", ".join(map(str, paths))) +
                      (f" ({'; '.join(skipped)})" if skipped else ""))
    mentions: list[Mention] = []
    relations: list[Relation] = []
    parsed = parse(docs, workers=workers, cache=ParseCache(cache_dir) if cache_dir else None)
    for doc, sds in (progress(parsed) if progress else parsed):
        ms, rs = extract(doc, sds, lex)
        mentions += ms
        relations += rs
    entities, keys = resolve(mentions, relations, lex)
    graph = build_graph(docs, entities, keys, relations, model_version(MODEL))
    return BuildResult(graph, docs, entities, relations, skipped, time.perf_counter() - t0)


def rebuild_store(root, lexicon: Lexicon | None = None, gazetteers: tuple[str, ...] = ()) -> BuildResult:
    """Resolve entities over every document's records in the store and write its graph (atomic switch)."""
    from pathlib import Path

    from kg.store import load_records, write_store
    from kg.validate import validate

    t0 = time.perf_counter()
    root = Path(root)
    lex = lexicon or load_lexicon(gazetteers)
    docs, mentions, relations = load_records(root)
    entities, keys = resolve(mentions, relations, lex)
    graph = build_graph(docs, entities, keys, relations, model_version(MODEL))
    violations = validate(graph)
    if violations:
        raise KgError(f"the graph breaks {len(violations)} constraint(s) of ontology/shapes.ttl, first: "
                      f"{violations[0]}; the store is unchanged")
    write_store(root, graph, [d.sha256 for d in docs])
    return BuildResult(graph, docs, entities, relations, [], time.perf_counter() - t0)


def build_store(paths: Iterable[str], store_dir: str, gazetteers: tuple[str, ...] = (),
                lexicon: Lexicon | None = None, progress: Callable[[Iterable], Iterable] | None = None,
                workers: int = 1, cache_dir: str | None = None) -> tuple[BuildResult | None, int]:
    """Add the files' new documents to the store at ``store_dir``; returns the result and the number added.

    Documents already in the store (same text hash) are not read again. Each new
    document's records are saved as soon as it is extracted, then the graph of all
    documents is resolved and written (see kg.store).
    """
    from pathlib import Path

    from kg.store import known_documents, save_records, stale, writer_lock

    root = Path(store_dir)
    lex = lexicon or load_lexicon(gazetteers)
    with writer_lock(root):
        known = known_documents(root)
        new: list[Document] = []
        skipped: list[str] = []
        for item in read_documents(list(paths), lex.boilerplate):
            if isinstance(item, KgError):
                skipped.append(str(item))
            elif item.sha256 not in known and all(d.sha256 != item.sha256 for d in new):
                new.append(item)
        if not new and not known:
            raise KgError(E_NO_DOCS.format(paths=", ".join(map(str, paths))) +
                          (f" ({'; '.join(skipped)})" if skipped else ""))
        if not new and not stale(root):
            return None, 0  # nothing new: the store is left exactly as it was
        parsed = parse(new, workers=workers, cache=ParseCache(cache_dir) if cache_dir else None)
        for doc, sds in (progress(parsed) if progress else parsed):
            ms, rs = extract(doc, sds, lex)
            save_records(root, doc, ms, rs)
        result = rebuild_store(root, lex)
    result.skipped = skipped
    return result, len(new)
