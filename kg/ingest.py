"""Read articles from disk: decode, drop web boilerplate, keep each paragraph once.

Input is untrusted: a file may be empty, binary, in another encoding or a web page
dump. Each problem becomes a one-line skip message, never an exception, so one bad
file does not stop a build of thousands.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from kg.errors import (E_BINARY, E_EMPTY, E_ENCODING, E_NO_PATH, E_NOT_REGULAR, E_NOT_TEXT, E_TOO_BIG, E_UNREADABLE,
                       E_UNREADABLE_DIR, KgError)
from kg.lexicon import Boilerplate, norm
from kg.records import Document, Segment

SUFFIXES = (".txt", ".html", ".htm", ".jsonl")
_HTML = (".html", ".htm")
_SENT_END = re.compile(r"[.!?»\"”]\s+(?=\S)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def shown(path: object) -> str:
    """A file name as messages print it: control characters (a newline, a tab, an escape) written as escapes,
    so a hostile name cannot forge extra lines of kg's output or drive the terminal."""
    text = path.as_posix() if isinstance(path, Path) else str(path)
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _kind(mode: int) -> str | None:
    """What a non-regular file is, for the skip message; None for a regular file."""
    for test, name in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def _check_regular(path: Path) -> KgError | None:
    """Why a path (after its links) cannot be read as an article without hanging or reading forever, or None.
    A FIFO blocks the reader until someone writes; a device such as /dev/zero never ends."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return KgError(E_UNREADABLE.format(path=shown(path), detail=exc.strerror or exc))
    kind = _kind(mode)
    return KgError(E_NOT_REGULAR.format(path=shown(path), kind=kind)) if kind else None


def find_files(paths: Iterable[str]) -> list[Path | KgError]:
    """Every article file (.txt, .html, .htm, .jsonl) under the given files and folders, sorted, each once; and,
    in its place, a KgError for each entry that cannot be read (a FIFO, a device, an unreadable sub-folder).

    A missing path is a user mistake and raises; folders are walked without following
    symlinks to folders, so a symlink loop cannot hang the walk.
    """
    out: dict[str, Path | KgError] = {}
    for p in paths:
        path = Path(p)
        if not path.exists() and not path.is_symlink():
            raise KgError(E_NO_PATH.format(path=shown(p)))
        if not path.is_dir():
            out[path.as_posix()] = path
            continue

        def unreadable(exc: OSError) -> None:
            where = Path(exc.filename) if exc.filename else path
            out[where.as_posix()] = KgError(E_UNREADABLE_DIR.format(path=shown(where), detail=exc.strerror or exc))

        for folder, _dirs, files in os.walk(path, onerror=unreadable):
            for name in files:
                f = Path(folder) / name
                if f.suffix.lower() in SUFFIXES:
                    out[f.as_posix()] = f  # a dangling link is kept: reading it reports why it is skipped
    return [out[k] for k in sorted(out)]


_MAGIC = ((b"%PDF-", "a PDF document; convert it to text first (e.g. pdftotext FILE.pdf FILE.txt)"),
          (b"PK\x03\x04", "a ZIP archive or an Office document; save it as plain text first"),
          (b"{\\rtf", "an RTF document; save it as plain text first"))


def _mostly_utf8(raw: bytes) -> str | None:
    """UTF-8 text with a few stray bytes (a copy-paste accident) decoded as UTF-8, the strays replaced by
    U+FFFD; None when the bytes look like another encoding (few valid multi-byte characters beside the
    bad ones, as in cp1252, whose accents are single bytes)."""
    text = raw.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - raw.count("\ufffd".encode("utf-8"))
    good = sum(1 for c in text if ord(c) > 0x7F and c != "\ufffd")
    return text if bad <= max(3, len(text) // 1000) and good >= 4 * bad else None


def decode(raw: bytes, path: str) -> str:
    """Bytes to text: UTF-8 (with or without BOM, a few stray bytes tolerated), UTF-16 with BOM, else
    detected (Latin-1, cp1252). A PDF or an Office file is named as such, with what to do instead."""
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            raise KgError(E_NOT_TEXT.format(path=shown(path), what=what))
    if raw.startswith(b"\xef\xbb\xbf"):
        text = raw[3:].decode("utf-8", errors="strict")
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    else:
        head = raw[:4096]
        if head.count(b"\x00") > max(2, 0.01 * len(head)):  # binary data, or UTF-16 without a BOM
            raise KgError(E_BINARY.format(path=shown(path)))
        raw = raw.replace(b"\x00", b"")  # a few stray NULs in a text file are dropped, not a reason to skip it
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = _mostly_utf8(raw)
        if text is None:
            from charset_normalizer import from_bytes

            best = from_bytes(raw).best()
            if best is None:
                raise KgError(E_BINARY.format(path=shown(path))) from None
            text = str(best)
    if text and len(_CONTROL.findall(text[:4096])) > 0.05 * min(len(text), 4096):
        raise KgError(E_BINARY.format(path=shown(path)))
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


MAX_FILE_BYTES = 64 * 1024 * 1024  # a news article is kilobytes; past this a file is not one


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, refusing what is not a regular file (a FIFO would block, a device never end) and
    reading at most ``limit`` bytes, so no file can exhaust memory."""
    limit = MAX_FILE_BYTES
    problem = _check_regular(path)
    if problem is not None:
        raise problem
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise KgError(E_UNREADABLE.format(path=shown(path), detail=exc.strerror or exc)) from None
    if len(raw) > limit:
        raise KgError(E_TOO_BIG.format(path=shown(path), limit=limit // (1024 * 1024)))
    return raw


def _document(name: str, text: str, digest_of: bytes, bp: Boilerplate, title: str | None = None) -> Document:
    """A Document from decoded text; ``name`` is what skip messages and the graph call it."""
    text = _clean_text(text)
    if not text.strip():
        raise KgError(E_EMPTY.format(path=shown(name)))
    segs = segments(text, bp)
    if not segs:
        raise KgError(E_EMPTY.format(path=shown(name)) + " (only boilerplate)")
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
        raise KgError(E_ENCODING.format(path=shown(path), detail=exc.reason)) from None
    return _document(path.as_posix(), text, raw, bp)


MIN_PAGE_WORDS = 10


def _html_document(path: Path, raw: bytes, bp: Boilerplate) -> Document:
    """The main text of a web page (trafilatura: navigation, ads, comments and footers dropped), paragraphs
    one per line; the page's own title when it has one. Markup never reaches the text."""
    try:
        import trafilatura
    except ImportError as exc:  # a broken optional install costs the HTML pages, not the whole build
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise KgError(f"{shown(path)}: cannot read HTML pages: trafilatura does not import ({reason}); "
                      "reinstall kg (pip install .), skipped") from None
    if not raw.strip():
        raise KgError(E_EMPTY.format(path=shown(path)))
    try:
        doc = trafilatura.bare_extraction(raw, include_comments=False, include_tables=False, with_metadata=True)
    except Exception as exc:  # a parser failure on a hostile page is a skip, not a crash
        raise KgError(f"{shown(path)}: cannot extract text from this HTML page ({type(exc).__name__}), skipped"
                      ) from None
    text = getattr(doc, "text", None) if doc is not None else None
    if not text or len(text.split()) < MIN_PAGE_WORDS:  # a menu or a cookie banner is not an article
        raise KgError(f"{shown(path)}: no article text found in this HTML page, skipped")
    title = getattr(doc, "title", None)
    return _document(path.as_posix(), (title + "\n\n" if title else "") + text, raw, bp, title)


def read_jsonl(path: Path, bp: Boilerplate) -> Iterator[Document | KgError]:
    """One Document per line of ``{"id", "title", "text", "url", "date"}`` (only "text" is required), read
    line by line so a file of any size streams; a bad line is skipped with its line number."""
    import json

    problem = _check_regular(path)
    if problem is not None:
        yield problem
        return
    try:
        fh = open(path, "rb")
    except OSError as exc:
        yield KgError(E_UNREADABLE.format(path=shown(path), detail=exc.strerror or exc))
        return
    with fh:
        for n, line in enumerate(iter(lambda: fh.readline(MAX_FILE_BYTES + 1), b""), start=1):
            if len(line) > MAX_FILE_BYTES:
                yield KgError(E_TOO_BIG.format(path=f"{shown(path)}:{n}", limit=MAX_FILE_BYTES // (1024 * 1024)))
                return  # the rest of an endless line cannot be told from the next records
            if not line.strip():
                continue
            where = f"{shown(path)}:{n}"
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


_LANGUAGES = {"en": "English", "de": "German", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
              "nl": "Dutch", "ru": "Russian", "uk": "Ukrainian", "ar": "Arabic", "zh": "Chinese", "fr": "French"}
MIN_LANGUAGE_WORDS = 15  # under this, a language guess is noise: the text is kept


def language_of(text: str) -> str | None:
    """The ISO 639-1 code of the language a text is written in, or None when it has too few words to tell.

    Judged (py3langid) on its first 80 lower-case words: names, whatever their script or spelling
    ("Zelensky", "שלום Cohen"), say nothing of the language an article is written in; its little words do,
    and 80 of them tell French from English or German as surely as 200, in less than half the time."""
    words = [w for w in text[:20_000].split() if w.isalpha() and w.islower()][:80]
    if len(words) < MIN_LANGUAGE_WORDS:
        return None
    classify = _identifier()
    return classify(" ".join(words))[0] if classify is not None else None


@lru_cache(maxsize=1)
def _identifier():
    """py3langid's classifier, loaded once. Loading unpacks its model through a temporary file: on a full
    disk that fails, and the language is then left unjudged rather than the build stopped."""
    try:
        import py3langid

        py3langid.classify("kg")
        return py3langid.classify
    except (OSError, MemoryError, ImportError):
        return None


def _wrong_language(doc: Document, lang: str | None) -> KgError | None:
    """Why a document is skipped for its language (kg's rules and model read French), or None."""
    if lang is None or lang == "any":
        return None
    found = language_of(doc.text)
    if found is None or found == lang:
        return None
    return KgError(f"{shown(doc.path)}: written in {_LANGUAGES.get(found, found)} ({found}), not "
                   f"{_LANGUAGES.get(lang, lang)}; skipped (--lang {found} builds it anyway)")


def read_documents(paths: Iterable[str], bp: Boilerplate, lang: str | None = None) -> Iterator[Document | KgError]:
    """Documents in path order; a file that cannot be used, or (with ``lang``) that is written in another
    language, yields its KgError instead."""
    seen: set[str] = set()
    for f in find_files(paths):
        if isinstance(f, KgError):
            yield f
            continue
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
                yield _wrong_language(doc, lang) or doc
