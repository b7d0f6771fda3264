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
