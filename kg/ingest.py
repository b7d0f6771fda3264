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

SUFFIXES = (".txt", ".html", ".htm", ".jsonl")
_HTML = (".html", ".htm")
_SENT_END = re.compile(r"[.!?»\"”]\s+(?=\S)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def find_files(paths: Iterable[str]) -> list[Path]:
    """Every article file (.txt, .html, .htm, .jsonl) under the given files and folders, sorted, each once.

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
                # a dangling link or unreadable entry is kept, so reading it reports why it is skipped
                if f.suffix.lower() in SUFFIXES and (f.is_file() or (f.is_symlink() and not f.exists())):
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
        head = raw[:4096]
        if head.count(b"\x00") > max(2, 0.01 * len(head)):  # binary data, or UTF-16 without a BOM
            raise KgError(E_BINARY.format(path=path))
        raw = raw.replace(b"\x00", b"")  # a few stray NULs in a text file are dropped, not a reason to skip it
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


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KgError(E_UNREADABLE.format(path=path, detail=exc.strerror or exc)) from None


def _document(name: str, text: str, digest_of: bytes, bp: Boilerplate, title: str | None = None) -> Document:
    """A Document from decoded text; ``name`` is what skip messages and the graph call it."""
    text = _clean_text(text)
    if not text.strip():
        raise KgError(E_EMPTY.format(path=name))
    segs = segments(text, bp)
    if not segs:
        raise KgError(E_EMPTY.format(path=name) + " (only boilerplate)")
    if not title:
        first = segs[0].text
        # a headline is short; a first paragraph is not a title, so fall back to the file name
        title = first if len(first) <= 150 else Path(name).stem
    return Document(path=name, text=text, sha256=hashlib.sha256(digest_of).hexdigest(), title=_clean_text(title),
                    segments=segs)


def read_document(path: Path, bp: Boilerplate) -> Document:
    """One text or HTML file as a Document; raises KgError with a one-line reason if it must be skipped."""
    raw = _read_bytes(path)
    if path.suffix.lower() in _HTML:
        return _html_document(path, raw, bp)
    try:
        text = decode(raw, str(path))
    except UnicodeDecodeError as exc:
        raise KgError(E_ENCODING.format(path=path, detail=exc.reason)) from None
    return _document(path.as_posix(), text, raw, bp)


MIN_PAGE_WORDS = 10


def _html_document(path: Path, raw: bytes, bp: Boilerplate) -> Document:
    """The main text of a web page (trafilatura: navigation, ads, comments and footers dropped), paragraphs
    one per line; the page's own title when it has one. Markup never reaches the text."""
    import trafilatura

    if not raw.strip():
        raise KgError(E_EMPTY.format(path=path))
    try:
        doc = trafilatura.bare_extraction(raw, include_comments=False, include_tables=False, with_metadata=True)
    except Exception as exc:  # a parser failure on a hostile page is a skip, not a crash
        raise KgError(f"{path}: cannot extract text from this HTML page ({type(exc).__name__}), skipped") from None
    text = getattr(doc, "text", None) if doc is not None else None
    if not text or len(text.split()) < MIN_PAGE_WORDS:  # a menu or a cookie banner is not an article
        raise KgError(f"{path}: no article text found in this HTML page, skipped")
    title = getattr(doc, "title", None)
    return _document(path.as_posix(), (title + "\n\n" if title else "") + text, raw, bp, title)


def read_jsonl(path: Path, bp: Boilerplate) -> Iterator[Document | KgError]:
    """One Document per line of ``{"id", "title", "text", "url", "date"}`` (only "text" is required), read
    line by line so a file of any size streams; a bad line is skipped with its line number."""
    import json

    try:
        fh = open(path, "rb")
    except OSError as exc:
        yield KgError(E_UNREADABLE.format(path=path, detail=exc.strerror or exc))
        return
    with fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path.as_posix()}:{n}"
            try:
                rec = json.loads(line.decode("utf-8-sig"))
            except (UnicodeDecodeError, ValueError) as exc:
                yield KgError(f"{where}: not a JSON object ({str(exc).splitlines()[0][:80]}), skipped")
                continue
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
                yield KgError(f'{where}: a record needs a "text" string, skipped')
                continue
            if not rec["text"].strip():
                yield KgError(f"{where}: empty text, skipped")
                continue
            rid = rec.get("id")
            name = f"{path.as_posix()}#{rid if isinstance(rid, (str, int)) and str(rid) else n}"
            title = rec.get("title") if isinstance(rec.get("title"), str) else None
            try:
                yield _document(name, rec["text"], rec["text"].encode("utf-8", "surrogatepass"), bp, title)
            except KgError as exc:
                yield exc


def read_documents(paths: Iterable[str], bp: Boilerplate) -> Iterator[Document | KgError]:
    """Documents in path order; a file that cannot be used yields its KgError instead."""
    seen: set[str] = set()
    for f in find_files(paths):
        if f.suffix.lower() == ".jsonl":
            items: Iterable[Document | KgError] = read_jsonl(f, bp)
        else:
            try:
                items = [read_document(f, bp)]
            except KgError as exc:
                items = [exc]
        for doc in items:
            if isinstance(doc, KgError):
                yield doc
            elif doc.sha256 not in seen:  # the same article twice is read once
                seen.add(doc.sha256)
                yield doc
