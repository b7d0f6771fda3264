"""Plain records passed between pipeline stages (no RDF, no spaCy objects).

Stages exchange these dataclasses so each stage can be tested alone and so a
worker process can return them cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Segment:
    """A stretch of an article kept after boilerplate removal, with its offset in the text."""

    start: int
    text: str


@dataclass(frozen=True)
class Document:
    """One article as read from disk."""

    path: str
    text: str
    sha256: str
    title: str
    segments: tuple[Segment, ...]

    @property
    def doc_id(self) -> str:
        return self.sha256[:16]


@dataclass(frozen=True)
class Mention:
    """One surface occurrence of an actor in a document."""

    doc_id: str
    start: int  # character offsets in Document.text
    end: int
    text: str  # surface form as written
    name: str  # cleaned name (articles and titles stripped)
    etype: str  # ontology class local name: Person, Country, Organization, ...
    gaz_id: str | None  # gazetteer entry when the name is a known actor
    sentence: str
    source: str  # what found it: gazetteer, ner, pattern, demonym


@dataclass(frozen=True)
class Relation:
    """One relation stated by one sentence, between two mentions."""

    subject: Mention
    predicate: str
    object: Mention
    doc_id: str
    sentence: str
    sent_start: int
    sent_end: int
    rule: str
    amount: float | None = None
    currency: str | None = None
    confidence: float = 1.0  # the model's probability, or the rule tables' measured precision
    items: tuple[str, ...] = ()  # equipment the statement delivers, named in its sentence (funds, supports)


@dataclass
class Entity:
    """A real-world actor: the mentions the resolver merged, under one canonical name."""

    key: str
    name: str
    etype: str
    gaz_id: str | None = None
    qid: str | None = None
    aliases: set[str] = field(default_factory=set)
    mentions: list[Mention] = field(default_factory=list)
