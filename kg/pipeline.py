"""The build: files in, graph out, each stage in order (ingest -> nlp -> extract -> resolve -> graph).

A library function, so Python users get what `kg build` does without the CLI.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rdflib import Graph

from kg.errors import E_NO_DOCS, KgError
from kg.extract.relations import extract
from kg.graph import build_graph
from kg.ingest import read_documents, shown
from kg.lexicon import Lexicon, load_lexicon, rules_fingerprint
from kg.nlp import MODEL, ParseCache, load_model, model_version, parse
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


@dataclass
class StoreResult:
    added: int  # new documents in this run
    total: int  # documents in the store after it
    batches: int
    reresolved: int  # batches in which some stored mentions had to be resolved again
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


Extracted = tuple[Document, list[Mention], list[Relation]]


def extract_stream(docs: list[Document], lex: Lexicon, workers: int = 1, cache_dir: str | None = None,
                   scheduler: str | None = None) -> Iterator[Extracted]:
    """Each document with its mentions and relations, parsed here (``workers`` spaCy processes, optional parse
    cache) or on a Dask cluster (``scheduler``); in input order either way."""
    if scheduler:
        from kg.distributed import extract_on_cluster

        yield from extract_on_cluster(docs, lex, scheduler, cache_dir=cache_dir)
        return
    for doc, sds in parse(docs, workers=workers, cache=ParseCache(cache_dir) if cache_dir else None):
        ms, rs = extract(doc, sds, lex)
        yield doc, ms, rs


def _read(paths: list[str], lex: Lexicon, skip: set[str] = frozenset()) -> tuple[list[Document], list[str]]:
    """The readable documents (each text once, none of ``skip``), and one line per file that was not."""
    docs: list[Document] = []
    seen = set(skip)
    skipped: list[str] = []
    for item in read_documents(paths, lex.boilerplate, lex.lang):
        if isinstance(item, KgError):
            skipped.append(str(item))
        elif item.sha256 not in seen:
            seen.add(item.sha256)
            docs.append(item)
    return docs, skipped


@contextmanager
def _long_lived_frozen() -> Iterator[None]:
    """The model and the rules (over half a million objects) outlive a build: frozen for its length
    (gc.freeze), the cyclic collector stops walking them at each of the build's collections, which saves a few
    percent of a build (bench/throughput.py). Unfrozen after, so nothing is kept longer than it would be; a
    caller's own freeze is left alone."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def build(paths: Iterable[str], gazetteers: tuple[str, ...] = (), lexicon: Lexicon | None = None,
          progress: Callable[[Iterable], Iterable] | None = None, workers: int = 1,
          cache_dir: str | None = None, scheduler: str | None = None, validate: bool = False,
          min_confidence: float | None = None, lang: str = "fr") -> BuildResult:
    """Read, parse, extract, resolve and build the graph of the given files and folders.

    ``workers`` spaCy processes parse in parallel; ``cache_dir`` keeps parses so a
    second build of the same texts (e.g. after changing a rule) skips spaCy;
    ``scheduler`` sends the parsing and extraction to a Dask cluster. With ``validate``
    the graph is checked against the SHACL shapes, and a document whose statements break
    them is left out (reported in ``skipped``) rather than losing the whole build.
    """
    t0 = time.perf_counter()
    paths = list(paths)
    lex = lexicon or load_lexicon(gazetteers, min_confidence=min_confidence, lang=lang)
    docs, skipped = _read(paths, lex)
    if not docs:
        raise KgError(E_NO_DOCS.format(paths=", ".join(map(str, paths))) +
                      (f" ({'; '.join(skipped)})" if skipped else ""))
    load_model()  # loaded before the freeze, so it is among the frozen
    with _long_lived_frozen():
        stream = extract_stream(docs, lex, workers, cache_dir, scheduler)
        items = list(progress(stream) if progress else stream)
        result = _assemble(items, lex)
    if validate:
        result, rejected = _without_invalid(items, result, lex)
        skipped += rejected
    result.skipped, result.seconds = skipped, time.perf_counter() - t0
    return result


def _assemble(items: list[Extracted], lex: Lexicon) -> BuildResult:
    """Resolve the documents' mentions together and build their graph."""
    docs = [d for d, _, _ in items]
    mentions = [m for _, ms, _ in items for m in ms]
    relations = [r for _, _, rs in items for r in rs]
    entities, keys = resolve(mentions, relations, lex)
    return BuildResult(build_graph(docs, entities, keys, relations, model_version(MODEL)), docs, entities, relations)


def _without_invalid(items: list[Extracted], result: BuildResult, lex: Lexicon) -> tuple[BuildResult, list[str]]:
    """The build minus the documents whose graph breaks the shapes, found by halving: the documents are
    added half by half to those kept, and a half that breaks a shape is split again, down to the single
    documents at fault. Costs one SHACL check when the graph conforms (the usual case)."""
    from kg.validate import validate

    first = validate(result.graph)
    if not first:
        return result, []
    kept: list[Extracted] = []  # in input order: halves are visited left to right
    rejected: list[str] = []

    def visit(part: list[Extracted], violations: list | None = None) -> None:
        if violations is None:
            violations = validate(_assemble(kept + part, lex).graph, inplace=True)
        if not violations:
            kept.extend(part)
        elif len(part) == 1:
            rejected.append(f"{shown(part[0][0].path)}: its statements break ontology/shapes.ttl ({violations[0]}); "
                            "left out of the graph")
        else:
            mid = len(part) // 2
            visit(part[:mid])
            visit(part[mid:])

    visit(items, first)  # the whole build is known to break them: no second check of it
    if not kept:
        raise KgError(f"every document breaks ontology/shapes.ttl; nothing written ({'; '.join(rejected)})")
    return _assemble(kept, lex), rejected


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _add_batch(writer, batch: list[Extracted], validate: bool, rejected: list[str]) -> list:
    """Add a batch; if its graph would break a shape, add its halves, down to the one document at fault,
    which is skipped with the reason: one bad document never stops a build of thousands."""
    from kg.errors import ShapeError

    try:
        return [writer.add_batch(batch, validate=validate)]
    except ShapeError as exc:
        if len(batch) == 1:
            rejected.append(f"{shown(batch[0][0].path)}: {exc}".replace("this batch was not added", "skipped"))
            return []
        mid = len(batch) // 2
        return _add_batch(writer, batch[:mid], validate, rejected) + _add_batch(writer, batch[mid:], validate, rejected)


def build_store(paths: Iterable[str], store_dir: str, gazetteers: tuple[str, ...] = (),
                lexicon: Lexicon | None = None, progress: Callable[[Iterable], Iterable] | None = None,
                workers: int = 1, cache_dir: str | None = None, scheduler: str | None = None,
                batch_size: int = 500, validate: bool = True, min_confidence: float | None = None,
                lang: str = "fr") -> StoreResult:
    """Add the files' new documents to the store at ``store_dir``, ``batch_size`` documents per transaction.

    Documents already in the store (same text hash) are not read again. Each batch is
    resolved against what the store holds and written as one atomic switch (see
    kg.store), so an interrupted run leaves the store with its finished batches.
    """
    from pathlib import Path

    from kg.store import StoreWriter, writer_lock

    t0 = time.perf_counter()
    paths = list(paths)
    root = Path(store_dir)
    lex = lexicon or load_lexicon(gazetteers, min_confidence=min_confidence, lang=lang)
    with writer_lock(root):
        writer = StoreWriter(root, lex, model_version(MODEL), rules_fingerprint(gazetteers, min_confidence))
        try:
            new, skipped = _read(paths, lex, skip=writer.documents())
            if not new and not writer.count():
                raise KgError(E_NO_DOCS.format(paths=", ".join(map(str, paths))) +
                              (f" ({'; '.join(skipped)})" if skipped else ""))
            stream = extract_stream(new, lex, workers, cache_dir, scheduler)
            batches = full = 0
            rejected: list[str] = []
            for batch in _batches(progress(stream) if progress else stream, batch_size):
                for report in _add_batch(writer, batch, validate, rejected):
                    batches += 1
                    full += report.reresolved
            total = writer.count()
        finally:
            writer.close()
    return StoreResult(len(new) - len(rejected), total, batches, full, skipped + rejected, time.perf_counter() - t0)
