"""Read articles from disk: decode, drop web boilerplate, keep each paragraph once.

Input is untrusted: a file may be empty, binary, in another encoding or a web page
dump. Each problem becomes a one-line skip message, never an exception, so one bad
file does not stop a build of thousands.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from kg.errors import E_BINARY, E_EMPTY, E_ENCODING, E_NO_PATH, E_UNREADABLE, KgError
from kg.lexicon import Boilerplate, norm
from kg.records import Document, Segment

SUFFIXES = (".txt",)
_SENT_END = re.compile(r"[.!?»\"”]\s+(?=\S)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def find_files(paths: Iterable[str]) -> list[Path]:
    """Every .txt file under the given files and folders, sorted, each once.

    A missing path is a user mistake and raises; folders are walked without following
    symlinks to folders, so a symlink loop cannot hang the walk.
    """
    out: set[Path] = set()
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise KgError(E_NO_PATH.format(path=p))
        if path.is_dir():
            for f in path.rglob("*"):
                if f.suffix.lower() in SUFFIXES and f.is_file():
                    out.add(f)
        else:
            out.add(path)
    return sorted(out, key=lambda f: str(f))


def decode(raw: bytes, path: str) -> str:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, else detected (Latin-1, cp1252)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        text = raw[3:].decode("utf-8", errors="strict")
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    else:
        if b"\x00" in raw[:4096]:
            raise KgError(E_BINARY.format(path=path))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            from charset_normalizer import from_bytes

            best = from_bytes(raw).best()
            if best is None:
                raise KgError(E_BINARY.format(path=path)) from None
            text = str(best)
    if text and len(_CONTROL.findall(text[:4096])) > 0.05 * min(len(text), 4096):
        raise KgError(E_BINARY.format(path=path))
    return text


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(" ", text)


def _drop_truncated(line: str) -> str:
    """Cut a last sentence that ends in an ellipsis: a teaser, not the article's text."""
    stripped = line.rstrip()
    if not stripped.endswith(("…", "...")):
        return line
    ends = list(_SENT_END.finditer(stripped))
    return stripped[: ends[-1].start() + 1] if ends else ""


_SENT_END_SPACE = re.compile(r"[.!?…»]\s+")


def segments(text: str, bp: Boilerplate) -> tuple[Segment, ...]:
    """Paragraphs of the article with boilerplate removed and repeats dropped, with offsets."""
    out: list[Segment] = []
    seen: set[str] = set()
    pos = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if not line.strip() or any(rx.search(line) for rx in bp.drop_lines):
            continue
        for rx in bp.strip_prefixes:
            m = rx.match(line)
            if m and m.end() < len(line):
                start += m.end()
                line = line[m.end():]
        if bp.drop_truncated:
            line = _drop_truncated(line)
        lead = len(line) - len(line.lstrip())
        body = line.strip()
        key = norm(body)
        if not body or key in seen:
            continue
        seen.add(key)
        out.extend(split_long(Segment(start + lead, body)))
    return tuple(out)


MAX_SEGMENT = 20_000  # characters: far under spaCy's nlp.max_length (1,000,000), and memory stays small


def split_long(seg: Segment, limit: int = MAX_SEGMENT) -> list[Segment]:
    """A paragraph longer than ``limit`` cut into pieces at sentence ends (else at a space, else anywhere),
    each with its own offset, so one endless line (a scraped page with no newlines) parses like any text."""
    out = []
    start, text = seg.start, seg.text
    while len(text) > limit:
        window = text[:limit]
        cut = max((m.end() for m in _SENT_END_SPACE.finditer(window)), default=0)
        if cut < limit // 2:
            cut = window.rfind(" ") + 1 if window.rfind(" ") >= limit // 2 else limit
        piece = text[:cut].rstrip()
        if piece:
            out.append(Segment(start, piece))
        rest = text[cut:]
        lead = len(rest) - len(rest.lstrip())
        start, text = start + cut + lead, rest.lstrip()
    if text:
        out.append(Segment(start, text))
    return out


def read_document(path: Path, bp: Boilerplate) -> Document:
    """One file as a Document; raises KgError with a one-line reason if it must be skipped."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KgError(E_UNREADABLE.format(path=path, detail=exc.strerror or exc)) from None
    try:
        text = _clean_text(decode(raw, str(path)))
    except UnicodeDecodeError as exc:
        raise KgError(E_ENCODING.format(path=path, detail=exc.reason)) from None
    if not text.strip():
        raise KgError(E_EMPTY.format(path=path))
    segs = segments(text, bp)
    if not segs:
        raise KgError(E_EMPTY.format(path=path) + " (only boilerplate)")
    first = segs[0].text
    # a headline is short; a first paragraph is not a title, so fall back to the file name
    title = first if len(first) <= 150 else path.stem
    return Document(path=path.as_posix(), text=text, sha256=hashlib.sha256(raw).hexdigest(),
                    title=title, segments=segs)


def read_documents(paths: Iterable[str], bp: Boilerplate) -> Iterator[Document | KgError]:
    """Documents in path order; a file that cannot be used yields its KgError instead."""
    seen: set[str] = set()
    for f in find_files(paths):
        try:
            doc = read_document(f, bp)
        except KgError as exc:
            yield exc
            continue
        if doc.sha256 in seen:  # the same article twice is read once
            continue
        seen.add(doc.sha256)
        yield doc
