"""Shared fixtures: the spaCy model and the rules are loaded once per test session."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kg.extract.relations import extract
from kg.lexicon import default_lexicon
from kg.nlp import load_model, parse
from kg.records import Document, Segment
from kg.ingest import segments

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def nlp():
    return load_model()


@pytest.fixture(scope="session")
def lex():
    return default_lexicon()


def make_document(text: str, lex) -> Document:
    segs = segments(text, lex.boilerplate)
    return Document(path="test.txt", text=text, sha256=hashlib.sha256(text.encode()).hexdigest(),
                    title=segs[0].text if segs else "", segments=segs or (Segment(0, text),))


def _extract(text: str, lex):
    doc = make_document(text, lex)
    (_, sds), = list(parse([doc]))
    return extract(doc, sds, lex)


@pytest.fixture(scope="session")
def triples(nlp, lex):
    """Relations of a text as a set of (subject name, predicate, object name)."""
    return lambda text: {(r.subject.name, r.predicate, r.object.name) for r in _extract(text, lex)[1]}


@pytest.fixture(scope="session")
def relations(nlp, lex):
    """Relation records of a text."""
    return lambda text: _extract(text, lex)[1]


@pytest.fixture(scope="session")
def mentions(nlp, lex):
    """Mention records of a text."""
    return lambda text: _extract(text, lex)[0]


def break_shapes_of(monkeypatch, name: str) -> None:
    """Make the document read from a file called ``name`` state its amounts in a currency code the shapes
    refuse ("dollars"), as a rule gone wrong would: the build must leave that one document out."""
    import dataclasses

    import kg.pipeline

    real = kg.pipeline.extract_stream

    def with_one_bad(docs, *a, **k):
        for doc, ms, rs in real(docs, *a, **k):
            if Path(doc.path).name == name:
                rs = [dataclasses.replace(r, currency="dollars") if r.amount else r for r in rs]
            yield doc, ms, rs

    monkeypatch.setattr(kg.pipeline, "extract_stream", with_one_bad)
