"""A persistent, incremental graph store on disk (`kg build --store DIR`).

Layout of DIR:
- ``kg.sqlite``: the store's state, and the single source of truth for what it holds:
  every document (its extraction records, compressed), every mention with the entity
  key it resolved to, the alias map and surname pools resolution reads, each entity's
  statistics, slug and IRI, and which Oxigraph directory is current.
- ``oxigraph-<n>/``: an Oxigraph (RocksDB) store holding the graph, opened through
  rdflib (the ``oxrdflib`` plugin) so queries run on Oxigraph's engine. The data is in
  the default graph, the ontology in the named graph ``ONTOLOGY_GRAPH``.
- the folder itself is locked (``flock``) by the one writer.

Documents are added in batches. For each batch the writer resolves the new mentions
against the stored state (kg.resolve's own functions, so the result is exactly what a
build of all documents at once gives), works out which triples change — the new
documents, the actors whose name, type, aliases or IRI moved, and the old documents
whose mentions now resolve elsewhere — checks the changed part against the SHACL
shapes, applies it to a RocksDB checkpoint of the current Oxigraph directory (hard
links, so cheap), and switches to it in the same SQLite transaction that records the
batch. A crash at any point leaves the store as it was after the last finished batch.

Resolution usually only adds: new mentions join existing actors or make new ones.
When a new document could change how an old mention resolves (it declares an alias an
old mention reads, or adds a full name to a surname an old mention stands alone for),
the batch re-resolves every stored mention; that is slower but still exact.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from kg.errors import KgError, ShapeError
from kg.export import folder_lock
from kg.graph import (BUILD, doc_iri, document_triples, entity_triples, header_triples, mention_triples,
                      one_per_statement, relation_triples, slug, slug_iris)
from kg.lexicon import Lexicon
from kg.namespace import BASE, KGO, KGR
from kg.records import Document, Entity, Mention, Relation
from kg.resolve import (Stats, alias_map, alias_reader, base_key, declared_alias, join_full_names, make_entity,
                        mention_keys, order, pick_surname, surname_alone, surname_of_full_name)

DB = "kg.sqlite"
ONTOLOGY_GRAPH = URIRef(BASE + "graph/ontology")
FORMAT = 1  # bump when the layout changes
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS document (sha256 TEXT PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
    title TEXT NOT NULL, records BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS mention (doc_id TEXT NOT NULL, start INTEGER NOT NULL, end_ INTEGER NOT NULL,
    text TEXT NOT NULL, name TEXT NOT NULL, etype TEXT NOT NULL, gaz_id TEXT NOT NULL, source TEXT NOT NULL,
    key TEXT NOT NULL, alias_reader TEXT, declares TEXT, feeds TEXT, alone TEXT,
    PRIMARY KEY (doc_id, start, end_, text, name, etype, gaz_id, source)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mention_key ON mention (key);
CREATE INDEX IF NOT EXISTS mention_alias ON mention (alias_reader) WHERE alias_reader IS NOT NULL;
CREATE INDEX IF NOT EXISTS mention_declares ON mention (declares) WHERE declares IS NOT NULL;
CREATE INDEX IF NOT EXISTS mention_feeds ON mention (feeds) WHERE feeds IS NOT NULL;
CREATE INDEX IF NOT EXISTS mention_alone ON mention (alone) WHERE alone IS NOT NULL;
CREATE TABLE IF NOT EXISTS alias (text TEXT PRIMARY KEY, first TEXT NOT NULL, key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pool (surname TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (surname, key));
CREATE TABLE IF NOT EXISTS entity (key TEXT PRIMARY KEY, slug TEXT NOT NULL, iri TEXT NOT NULL, name TEXT NOT NULL,
    etype TEXT NOT NULL, qid TEXT, aliases TEXT NOT NULL, stats TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entity_slug ON entity (slug);
CREATE INDEX IF NOT EXISTS entity_iri ON entity (iri);
"""


_GENERATION = re.compile(r"^oxigraph-([0-9]+)$")


def _generations(root: Path) -> list[Path]:
    """The Oxigraph directories a store's writer made (``oxigraph-<n>``)."""
    try:
        return sorted(d for d in root.iterdir() if _GENERATION.match(d.name) and d.is_dir())
    except OSError:
        return []


def is_store(path: str | Path) -> bool:
    """Whether the folder is a store, whole or damaged (its state, or only its Oxigraph data, is there)."""
    p = Path(path)
    return (p / DB).is_file() or (p.is_dir() and bool(_generations(p)))


def _damaged(root: Path, what: str) -> KgError:
    return KgError(f"store {root} is damaged: {what}; kg leaves it untouched (restore it from a backup, or build "
                   "a new store in another folder)")


def check_store(root: Path, writing: bool = False) -> bool:
    """Refuse a store whose state cannot be trusted, before anything reads or deletes its data; returns
    whether the folder is a new store (nothing in it yet).

    ``kg.sqlite`` is the one record of what the Oxigraph directories hold: with it missing, empty or corrupt
    a writer would start afresh and delete the graph. A folder with nothing of a store in it is new; one
    with other files is not a store (a writer refuses it rather than mix its files with someone else's)."""
    db, gens = root / DB, _generations(root)
    others = [p for p in root.iterdir() if not p.name.startswith(DB)] if root.is_dir() else []
    if not db.exists():
        if gens:
            raise _damaged(root, f"{DB} is missing but its Oxigraph data ({gens[-1].name}) is there")
        if others and writing:
            raise KgError(f"{root} is not empty and is not a kg store (no {DB}); give a new or empty folder "
                          "to --store")
        if not writing:
            raise KgError(f"{root} is not a kg store (no {DB}); create one with kg build PATH --store {root}")
        return True
    try:
        with open(db, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise KgError(f"store {root}: cannot read {DB} ({exc.strerror})") from None
    if not head:
        if gens or others or not writing:
            raise _damaged(root, f"{DB} is empty (0 bytes)")
        return True  # a writer killed as it created the store: nothing was stored
    if head != b"SQLite format 3\x00":
        raise _damaged(root, f"{DB} is not a SQLite database")
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
            # a writer checks every page before it changes anything; a reader only what it reads
            check = con.execute("PRAGMA quick_check").fetchone()[0] if writing else "ok"
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            meta = dict(con.execute("SELECT k, v FROM meta")) if "meta" in tables else {}
            docs = con.execute("SELECT count(*) FROM document").fetchone()[0] if "document" in tables else 0
    except sqlite3.OperationalError as exc:  # the disk or the file system, not the file's content
        raise KgError(f"store {root}: cannot open {DB} ({exc})") from None
    except sqlite3.DatabaseError as exc:
        raise _damaged(root, f"{DB} cannot be read ({exc})") from None
    if check != "ok":
        raise _damaged(root, f"{DB} fails SQLite's check ({check})")
    current = meta.get("current")
    if current and not (root / current).is_dir():
        raise _damaged(root, f"its graph {current} is missing")
    if not current and (docs or gens):
        raise _damaged(root, f"{DB} names no graph though the store holds "
                             f"{f'{docs} document(s)' if docs else 'Oxigraph data'}")
    if not meta and not writing:
        raise KgError(f"store {root} holds no graph yet (its first build did not finish)")
    return not meta


@contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    """Exclusive lock for writing DIR; a second writer fails at once instead of corrupting it."""
    with folder_lock(root, f"store {root} is being written by another kg build; try again when it ends"):
        yield


def _read_only(root: Path) -> sqlite3.Connection:
    check_store(root)
    return sqlite3.connect(f"file:{root / DB}?mode=ro", uri=True)


def _open_oxigraph(root: Path, directory: Path):
    """An Oxigraph directory opened read-only, a corrupt one reported as damage, not a traceback."""
    import pyoxigraph as ox

    try:
        return ox.Store.read_only(str(directory))
    except (OSError, ValueError, RuntimeError) as exc:
        raise _damaged(root, f"its graph {directory.name} cannot be opened ({' '.join(str(exc).split())[:200]})"
                       ) from None


def known_documents(root: str | Path) -> set[str]:
    """Hashes of the documents the store holds (the batches that finished)."""
    root = Path(root)
    if not is_store(root):
        return set()
    with _read_only(root) as db:
        return {r[0] for r in db.execute("SELECT sha256 FROM document")}


def current_dir(root: str | Path) -> Path | None:
    with _read_only(Path(root)) as db:
        row = db.execute("SELECT v FROM meta WHERE k = 'current'").fetchone()
    return Path(root) / row[0] if row else None


def open_store(path: str | Path, with_ontology: bool = True) -> Graph:
    """The store's graph through rdflib, queries running on Oxigraph, opened read-only (any number of readers
    alongside each other and a writer). With the ontology, queries see the data and the ontology's labels and
    classes; without it (export, validation), only the data."""
    from oxrdflib.store import OxigraphStore
    from rdflib import Dataset

    from kg.ontology import PREFIXES

    current = current_dir(path)
    if current is None:
        raise KgError(f"store {path} holds no graph yet (its first build did not finish)")
    backend = OxigraphStore(store=_open_oxigraph(Path(path), current))
    g = Dataset(store=backend, default_union=True) if with_ontology else \
        Graph(store=backend, identifier=DATASET_DEFAULT_GRAPH_ID)
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    return g


@dataclass
class BatchReport:
    documents: int
    changed_entities: int
    rewritten_documents: int
    reresolved: bool  # some stored mentions had to be resolved again


def _bare(m: Mention) -> Mention:
    """A mention as resolution sees it (the sentence is kept in the document's records only)."""
    return replace(m, sentence="")


def _alone(m: Mention) -> str | None:
    """The surname a single-word person name could stand for, whatever its key (a superset of the mentions
    that read a surname pool, which is all the store needs to know who might be affected)."""
    return surname_alone(m, "person:")


def _tokens(m: Mention) -> set[str]:
    """What links a mention's resolution to others': aliases it declares or reads, surnames it feeds or reads."""
    out = set()
    for prefix, value in (("a:", declared_alias(m)), ("a:", alias_reader(m, base_key(m))),
                          ("s:", surname_of_full_name(m)), ("s:", _alone(m))):
        if value is not None:
            out.add(prefix + value)
    return out


def _row(m: Mention, key: str) -> tuple:
    return (m.doc_id, m.start, m.end, m.text, m.name, m.etype, m.gaz_id or "", m.source, key,
            alias_reader(m, base_key(m)), declared_alias(m), surname_of_full_name(m), _alone(m))


def _from_row(r) -> Mention:
    return Mention(doc_id=r[0], start=r[1], end=r[2], text=r[3], name=r[4], etype=r[5], gaz_id=r[6] or None,
                   sentence="", source=r[7])


_MENTION_COLS = "doc_id, start, end_, text, name, etype, gaz_id, source"


def _pack(doc: Document, mentions: list[Mention], relations: list[Relation]) -> bytes:
    data = {"mentions": [asdict(m) for m in mentions], "relations": [asdict(r) for r in relations]}
    return zlib.compress(json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"), 6)


def _unpack(blob: bytes) -> tuple[list[Mention], list[Relation]]:
    data = json.loads(zlib.decompress(blob))
    mentions = [Mention(**m) for m in data["mentions"]]
    relations = [Relation(**{**r, "subject": Mention(**r["subject"]), "object": Mention(**r["object"]),
                             "items": tuple(r.get("items", ()))}) for r in data["relations"]]
    return mentions, relations


def _distinct(mentions: list[Mention], relations: list[Relation]) -> list[Mention]:
    return list(dict.fromkeys(mentions + [x for r in relations for x in (r.subject, r.object)]))


def doc_part(doc: Document, mentions: list[Mention], relations: list[Relation], key: dict[Mention, str],
             iri: _Entities) -> Iterator[tuple]:
    """Every triple a document contributes: its node, its mentions, its relations and their statements."""
    yield from document_triples(doc)
    for m in _distinct(mentions, relations):
        if m.source != "adjective":
            yield from mention_triples(m, iri[key[_bare(m)]])
        else:  # "les forces russes" mentions Russia, though not by name
            yield iri[key[_bare(m)]], KGO.mentionedIn, doc_iri(doc.doc_id)
    for r in one_per_statement(relations, lambda m: key[_bare(m)]):
        ks, ko = key[_bare(r.subject)], key[_bare(r.object)]
        yield from relation_triples(r, ks, ko, iri[ks], iri[ko], iri.etype(ks), iri.etype(ko))


class StoreWriter:
    """The one writer of a store (hold ``writer_lock``): adds batches of extracted documents."""

    def __init__(self, root: Path, lex: Lexicon, model: str, fingerprint: str) -> None:
        self.root, self.lex, self.model = root, lex, model
        root.mkdir(parents=True, exist_ok=True)
        if check_store(root, writing=True) and (root / DB).exists():
            (root / DB).unlink()  # an empty file left by a writer killed as it began: nothing to keep
        self.db = sqlite3.connect(root / DB, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        meta = dict(self.db.execute("SELECT k, v FROM meta"))
        if meta.get("format", str(FORMAT)) != str(FORMAT):
            raise KgError(f"store {root} was written by another version of kg (format {meta['format']}); "
                          "build a new store")
        if meta.get("rules", fingerprint) != fingerprint:
            raise KgError(f"store {root} was built with other rules or gazetteers; its records would not match "
                          "what they extract now: build a new store (use --cache DIR to skip re-parsing)")
        if meta.get("current"):  # a corrupt graph is found before anything is written or cleaned up
            _open_oxigraph(root, root / meta["current"])
        if not meta:
            self._set("format", str(FORMAT))
            self._set("rules", fingerprint)
        self._cleanup()

    def close(self) -> None:
        self.db.close()

    def _set(self, k: str, v: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (k, v))

    def _get(self, k: str) -> str | None:
        row = self.db.execute("SELECT v FROM meta WHERE k = ?", (k,)).fetchone()
        return row[0] if row else None

    def documents(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT sha256 FROM document")}

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM document").fetchone()[0]

    def _cleanup(self) -> None:
        """Remove Oxigraph directories left by interrupted batches, and all but the current and previous one."""
        keep = {self._get("current"), self._get("previous")}
        for d in _generations(self.root):  # older generations and interrupted batches: the state knows them
            if d.name not in keep:
                shutil.rmtree(d, ignore_errors=True)

    # -- resolution -------------------------------------------------------------------------------------

    def _stored_alias(self, text: str) -> tuple[tuple, str] | None:
        row = self.db.execute("SELECT first, key FROM alias WHERE text = ?", (text,)).fetchone()
        return (tuple(json.loads(row[0])), row[1]) if row else None

    def _has_reader(self, column: str, value: str) -> bool:
        return self.db.execute(f"SELECT 1 FROM mention WHERE {column} = ? LIMIT 1", (value,)).fetchone() is not None

    def _conflicts(self, new: list[Mention]) -> set[str]:
        """Tokens ("a:alias", "s:surname") where the new mentions could change how stored mentions resolve: an
        alias declared for the first time (or earlier, for another actor) that stored mentions read, a full
        name added to a surname that a stored mention stands alone for."""
        base = {m: base_key(m) for m in new}
        out = set()
        for text, (first, key) in alias_map(new, base).items():
            stored = self._stored_alias(text)
            if (stored is None and self._has_reader("alias_reader", text)) or \
                    (stored is not None and first < stored[0] and key != stored[1]):
                out.add("a:" + text)
        for m in new:
            last = surname_of_full_name(m)
            if last is not None and "s:" + last not in out:
                pool = {r[0] for r in self.db.execute("SELECT key FROM pool WHERE surname = ? LIMIT 2", (last,))}
                a = alias_reader(m, base[m])
                hit = self._stored_alias(a) if a is not None else None
                key = hit[1] if hit else base[m]
                # a full name may join stored ones (kg.resolve.join_full_names), or give a stored surname alone
                # its one full name
                if len(pool) >= 2 or (pool and key not in pool) or (key not in pool and self._has_reader("alone", last)):
                    out.add("s:" + last)
            alone = surname_alone(m, base[m])
            if alone is not None and "s:" + alone not in out:
                pool = {r[0] for r in self.db.execute("SELECT key FROM pool WHERE surname = ? LIMIT 2", (alone,))}
                if len(pool) >= 2:  # which of them it stands for depends on how they are joined
                    out.add("s:" + alone)
        return out

    def _resolve_batch(self, new: list[Mention]) -> tuple[dict[Mention, str], dict, dict]:
        """Keys of new mentions that no stored mention's resolution depends on (no conflict tokens), resolved
        against the stored alias map and surname pools; also the alias and pool entries to store."""
        base = {m: base_key(m) for m in new}
        merged: dict[str, tuple[tuple, str]] = {}
        for text, (first, key) in alias_map(new, base).items():
            stored = self._stored_alias(text)
            merged[text] = (first, key) if stored is None or first < stored[0] else stored
        post: dict[Mention, str] = {}
        for m, k in base.items():
            a = alias_reader(m, k)
            if a is not None:
                hit = merged.get(a) or self._stored_alias(a)
                if hit is not None:
                    k = hit[1]
            post[m] = k
        pool: dict[str, set[str]] = {}
        by_doc: dict[tuple[str, str], set[str]] = defaultdict(set)

        def stored_pool(last: str) -> set[str]:
            return {r[0] for r in self.db.execute("SELECT key FROM pool WHERE surname = ?", (last,))}

        for m, k in post.items():
            last = surname_of_full_name(m)
            if last is not None:
                pool.setdefault(last, stored_pool(last)).add(k)
                by_doc[(m.doc_id, last)].add(k)
        for m in post:
            last = surname_alone(m, post[m])
            if last is not None and last not in pool:
                pool[last] = stored_pool(last)
        # full names joined among the new ones only: a surname with stored full names is a conflict
        joined = join_full_names(post)
        return {m: pick_surname(m, k, by_doc, pool, joined) for m, k in post.items()}, merged, pool

    def _write_resolution_state(self, aliases: dict, pools: dict[str, set[str]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO alias VALUES (?, ?, ?)",
                            [(t, json.dumps(list(first), ensure_ascii=False), k) for t, (first, k) in aliases.items()])
        self.db.executemany("INSERT OR IGNORE INTO pool VALUES (?, ?)",
                            [(s, k) for s, ks in pools.items() for k in ks])

    def _component(self, seeds: set[str], new: list[Mention]) -> tuple[dict[Mention, str], list[Mention]]:
        """Stored mentions (with their keys) and new mentions linked to the seed tokens through shared alias
        and surname tokens: a set whose resolution depends on nothing outside it."""
        columns = {"a:": ("alias_reader", "declares"), "s:": ("feeds", "alone")}
        new_tokens = {m: _tokens(m) for m in new}
        by_token: dict[str, list[Mention]] = defaultdict(list)
        for m, toks in new_tokens.items():
            for t in toks:
                by_token[t].append(m)
        old: dict[Mention, str] = {}
        picked_new: set[Mention] = set()
        seen: set[str] = set()
        frontier = set(seeds)
        while frontier:
            tok = frontier.pop()
            seen.add(tok)
            found: list[set[str]] = []
            for col in columns[tok[:2]]:
                for r in self.db.execute(f"SELECT {_MENTION_COLS}, key FROM mention WHERE {col} = ?", (tok[2:],)):
                    m = _from_row(r)
                    if m not in old:
                        old[m] = r[8]
                        found.append(_tokens(m))
            for m in by_token.get(tok, ()):
                if m not in picked_new:
                    picked_new.add(m)
                    found.append(new_tokens[m])
            for toks in found:
                frontier |= toks - seen
        return old, [m for m in new if m in picked_new]

    def _resolve_component(self, seeds: set[str], new: list[Mention]
                           ) -> tuple[dict[Mention, str], set[str], set[str], list[Mention]]:
        """Re-resolve the component of the conflict tokens (kg.resolve.mention_keys over it, exact because
        nothing outside it takes part) and store its new keys, alias and pool entries. Returns the keys of
        its new mentions, the stored documents whose mentions moved, the keys that gained or lost mentions,
        and the new mentions it covered."""
        old, fresh = self._component(seeds, new)
        everything = list(old) + fresh
        keys = mention_keys(everything)
        base = {m: base_key(m) for m in everything}
        aliases = alias_map(everything, base)
        post = {m: (aliases[a][1] if (a := alias_reader(m, base[m])) is not None and a in aliases else base[m])
                for m in everything}
        changed = [m for m in old if keys[m] != old[m]]
        pools: dict[str, set[str]] = defaultdict(set)
        for m in everything:
            last = surname_of_full_name(m)
            if last is not None:
                pools[last].add(post[m])
        texts = {t[2:] for m in everything for t in _tokens(m) if t.startswith("a:")}
        surnames = {t[2:] for m in everything for t in _tokens(m) if t.startswith("s:")}
        self.db.executemany("DELETE FROM alias WHERE text = ?", [(t,) for t in sorted(texts)])
        self.db.executemany("DELETE FROM pool WHERE surname = ?", [(x,) for x in sorted(surnames)])
        self._write_resolution_state(aliases, pools)
        self.db.executemany("UPDATE mention SET key = ? WHERE doc_id = ? AND start = ? AND end_ = ? AND text = ? "
                            "AND name = ? AND etype = ? AND gaz_id = ? AND source = ?",
                            [(keys[m], *_row(m, "")[:8]) for m in changed])
        moved = {m.doc_id for m in changed}
        shifted = {k for m in changed for k in (keys[m], old[m])} | {keys[m] for m in fresh}
        return {m: keys[m] for m in fresh}, moved, shifted, fresh

    # -- entities ---------------------------------------------------------------------------------------

    def _entity_row(self, key: str):
        return self.db.execute("SELECT slug, iri, name, etype, qid, aliases, stats FROM entity WHERE key = ?",
                               (key,)).fetchone()

    def _stats_from_mentions(self, key: str) -> Stats:
        stats = Stats()
        for r in self.db.execute(f"SELECT {_MENTION_COLS} FROM mention WHERE key = ?", (key,)):
            stats.add(_from_row(r))
        return stats

    # -- the batch --------------------------------------------------------------------------------------

    def add_batch(self, batch: list[tuple[Document, list[Mention], list[Relation]]],
                  validate: bool = True) -> BatchReport:
        """Add extracted documents (none of them already stored) in one transaction; all or nothing."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            report = self._add(batch, validate)
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:  # SQLite rolls back by itself on a full disk; a second ROLLBACK would mask why
                db.execute("ROLLBACK")
            if isinstance(exc, (OSError, sqlite3.OperationalError)):
                detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                raise KgError(f"store {self.root}: cannot write ({detail}); this batch was not added, the "
                              "store holds the batches before it") from None
            raise
        self._cleanup()
        return report

    def _add(self, batch, validate: bool) -> BatchReport:
        """One batch, step by step: resolve its mentions against the stored state, recount the actors they
        touch, store the actors and their IRIs, then write the triples that change to a new Oxigraph
        generation (see the module docstring)."""
        new = list(dict.fromkeys(_bare(m) for _, ms, rs in batch for m in _distinct(ms, rs)))
        conflicts = self._conflicts(new)
        keys, moved, stats = self._resolve_and_count(new, conflicts)
        changed, old_rows, gone = self._store_entities(stats)
        renamed = self._assign_iris(changed, old_rows, gone)
        moved |= self._documents_naming(
            [k for k, e in changed.items() if k in old_rows and old_rows[k][3] != e.etype] + list(renamed))
        moved -= {d.doc_id for d, _, _ in batch}
        self.db.executemany("INSERT INTO document VALUES (?, ?, ?, ?, ?)",
                            [(d.sha256, d.doc_id, d.path, d.title, _pack(d, ms, rs)) for d, ms, rs in batch])
        iri_of = _Entities(self.db)
        add = self._changed_triples(batch, keys, changed, renamed, moved, iri_of)
        if validate:
            self._validate(add, iri_of)
        stale_iris = sorted({old_rows[k][1] for k in (*changed, *gone) if k in old_rows and old_rows[k][1]}
                            | set(renamed.values()))
        self._switch(add, stale_iris, sorted(moved))
        return BatchReport(len(batch), len(changed) + len(renamed), len(moved), bool(conflicts))

    def _resolve_and_count(self, new: list[Mention], conflicts: set[str]
                           ) -> tuple[dict[Mention, str], set[str], dict[str, Stats]]:
        """The key of every new mention (re-resolving the stored ones its batch may move), the old documents
        whose mentions moved, and the statistics of every actor touched, new mentions included."""
        keys: dict[Mention, str] = {}
        moved: set[str] = set()
        recount: set[str] = set()  # keys whose statistics are recounted from the stored mentions
        if conflicts:
            keys, moved, recount, _ = self._resolve_component(conflicts, new)
            rest = [m for m in new if m not in keys]
        else:
            rest = new
        fast_keys, aliases, pools = self._resolve_batch(rest)
        self._write_resolution_state(aliases, pools)
        keys.update(fast_keys)
        self.db.executemany(f"INSERT INTO mention ({_MENTION_COLS}, key, alias_reader, declares, feeds, alone) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [_row(m, keys[m]) for m in new])
        stats: dict[str, Stats] = {}
        for k in sorted(recount):
            stats[k] = self._stats_from_mentions(k)
        for m in sorted(rest, key=order):
            k = keys[m]
            if k in recount:
                continue  # counted from the stored rows, which hold the new mentions by now
            if k not in stats:
                row = self._entity_row(k)
                stats[k] = Stats.from_json(json.loads(row[6])) if row else Stats()
            stats[k].add(m)
        return keys, moved, stats

    def _store_entities(self, stats: dict[str, Stats]) -> tuple[dict[str, Entity], dict[str, tuple], list[str]]:
        """Write the touched actors; returns those whose description changed, the rows they had before,
        and the keys left without any mention (deleted)."""
        changed: dict[str, Entity] = {}
        old_rows: dict[str, tuple] = {}
        gone: list[str] = []
        for k in sorted(stats):
            row = self._entity_row(k)
            if row is not None:
                old_rows[k] = row
            if not stats[k].all_names:
                gone.append(k)
                continue
            e = make_entity(k, stats[k], self.lex)
            if row is None or (row[2], row[3], row[4], json.loads(row[5])) != (e.name, e.etype, e.qid,
                                                                               sorted(e.aliases)):
                changed[k] = e
            self.db.execute("INSERT OR REPLACE INTO entity VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (k, slug(e.name), row[1] if row else "", e.name, e.etype, e.qid,
                             json.dumps(sorted(e.aliases), ensure_ascii=False),
                             json.dumps(stats[k].to_json(), ensure_ascii=False)))
        for k in gone:
            self.db.execute("DELETE FROM entity WHERE key = ?", (k,))
        return changed, old_rows, gone

    def _assign_iris(self, changed: dict[str, Entity], old_rows: dict[str, tuple], gone: list[str]
                     ) -> dict[str, str]:
        """Re-assign the IRIs of every slug a changed or deleted actor had or now has; returns the existing
        actors whose IRI moved, with the IRI each had (an actor the batch did not touch can lose its IRI to a
        new one: its old description must go from that IRI as well)."""
        slugs = {old_rows[k][0] for k in old_rows if k in changed or k in gone} | {slug(e.name) for e in
                                                                                   changed.values()}
        by_slug = {s: [r[0] for r in self.db.execute("SELECT key FROM entity WHERE slug = ?", (s,))] for s in slugs}
        renamed: dict[str, str] = {}
        for k, iri in slug_iris({s: ks for s, ks in by_slug.items() if ks}).items():
            row = self._entity_row(k)
            if row[1] != str(iri):
                if row[1]:
                    renamed[k] = row[1]
                self.db.execute("UPDATE entity SET iri = ? WHERE key = ?", (str(iri), k))
        return renamed

    def _documents_naming(self, keys: list[str]) -> set[str]:
        """Stored documents with a mention of one of these actors (their triples name its IRI or class)."""
        if not keys:
            return set()
        return {r[0] for r in self.db.execute(
            f"SELECT DISTINCT doc_id FROM mention WHERE key IN ({','.join('?' * len(keys))})", keys)}

    def _changed_triples(self, batch, keys: dict[Mention, str], changed: dict[str, Entity], renamed: dict[str, str],
                         moved: set[str], iri_of: _Entities) -> set[tuple]:
        """The triples to add: the build record, the changed actors' descriptions, the new documents and
        the old documents rewritten."""
        add: set[tuple] = set(header_triples(self.model))
        for k in sorted(set(changed) | set(renamed)):
            e = changed.get(k) or self._stored_entity(k)
            add.update(entity_triples(e, URIRef(self._entity_row(k)[1])))
        for d, ms, rs in batch:
            key_of = {_bare(m): keys[_bare(m)] for m in _distinct(ms, rs)}
            add.update(doc_part(d, ms, rs, key_of, iri_of))
        for doc_id in sorted(moved):
            d, ms, rs = self._stored_document(doc_id)
            key_of = {_from_row(r): r[8] for r in self.db.execute(
                f"SELECT {_MENTION_COLS}, key FROM mention WHERE doc_id = ?", (doc_id,))}
            add.update(doc_part(d, ms, rs, key_of, iri_of))
        return add

    def _switch(self, add: set[tuple], stale_iris: list[str], moved: list[str]) -> None:
        """Apply the change to a new Oxigraph generation and make it current (in this transaction)."""
        gen = int(self._get("generation") or 0) + 1
        target = self.root / f"oxigraph-{gen}"
        _write_oxigraph(self.root, self._get("current"), target, add, stale_iris, moved)
        if self._get("current"):
            self._set("previous", self._get("current"))
        self._set("current", target.name)
        self._set("generation", str(gen))

    def _stored_entity(self, key: str) -> Entity:
        row = self._entity_row(key)
        return Entity(key=key, name=row[2], etype=row[3], gaz_id=key[4:] if key.startswith("gaz:") else None,
                      qid=row[4], aliases=set(json.loads(row[5])))

    def _stored_document(self, doc_id: str) -> tuple[Document, list[Mention], list[Relation]]:
        sha, path, title, blob = self.db.execute(
            "SELECT sha256, path, title, records FROM document WHERE doc_id = ?", (doc_id,)).fetchone()
        ms, rs = _unpack(blob)
        return Document(path=path, text="", sha256=sha, title=title, segments=()), ms, rs

    def _validate(self, add: set[tuple], iri_of: _Entities) -> None:
        """SHACL over what the batch adds, with the class, name and one document of every actor it points to
        (the shapes look one step away from a node, so this checks the batch as a full validation would).
        Mention nodes are left out while no shape names them (kg.validate.mention_free): they are most of
        the triples and no constraint reads them."""
        from kg.validate import mention_free, validate

        skip = mention_free()
        mentions = {t[0] for t in add if t[1] == RDF.type and t[2] == KGO.Mention} if skip else set()
        g = Graph()
        for t in add:
            if t[0] not in mentions and not (skip and t[1] == KGO.mention):
                g.add(t)
        described = {t[0] for t in add if t[1] == RDF.type}
        with_doc = {t[0] for t in add if t[1] == KGO.mentionedIn}
        nodes = ({t[2] for t in add if isinstance(t[2], URIRef)} | {t[0] for t in add}) - mentions
        for node in sorted(nodes - (described & with_doc)):
            row = self.db.execute("SELECT key, name, etype FROM entity WHERE iri = ?", (str(node),)).fetchone()
            if row is None:
                if node not in described and str(node).startswith(str(KGR["doc/"])):
                    self._document_context(g, str(node).rsplit("/", 1)[1])
                continue
            if node not in described:
                g.add((node, RDF.type, KGO[row[2]]))
                g.add((node, RDFS.label, Literal(row[1])))
            if node in with_doc:
                continue
            # one document the actor is mentioned in, from the store (its mentions may all be in old documents)
            doc = self.db.execute("SELECT doc_id FROM mention WHERE key = ? LIMIT 1", (row[0],)).fetchone()
            if doc:
                g.add((node, KGO.mentionedIn, KGR[f"doc/{doc[0]}"]))
                self._document_context(g, doc[0])
        violations = validate(g, inplace=True)
        if violations:
            raise ShapeError(f"the graph would break {len(violations)} constraint(s) of ontology/shapes.ttl, first: "
                          f"{violations[0]}; this batch was not added")

    def _document_context(self, g: Graph, doc_id: str) -> None:
        d = self.db.execute("SELECT path, sha256, title FROM document WHERE doc_id = ?", (doc_id,)).fetchone()
        if d:
            for t in document_triples(Document(path=d[0], text="", sha256=d[1], title=d[2], segments=())):
                g.add(t)


class _Entities(dict):
    """Entity key -> IRI (and class), read from the entity table on first use."""

    def __init__(self, db: sqlite3.Connection) -> None:
        super().__init__()
        self.db = db
        self.types: dict[str, str] = {}

    def __missing__(self, key: str) -> URIRef:
        iri, etype = self.db.execute("SELECT iri, etype FROM entity WHERE key = ?", (key,)).fetchone()
        self[key], self.types[key] = URIRef(iri), etype
        return self[key]

    def etype(self, key: str) -> str:
        self[key]
        return self.types[key]


def _ox(term):
    import pyoxigraph as ox

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if term.datatype is not None:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term))


def _write_oxigraph(root: Path, current: str | None, target: Path, add: set[tuple], stale_iris: list[str],
                    rewritten_docs: list[str]) -> None:
    """The new Oxigraph directory: a checkpoint of the current one, minus what changed, plus ``add``."""
    import pyoxigraph as ox

    from kg.ontology import vocabulary_files

    shutil.rmtree(target, ignore_errors=True)
    if current:
        _open_oxigraph(root, root / current).backup(str(target))
    store = ox.Store(str(target))
    kgo, rdf = str(KGO._NS), str(RDF)
    supported_by_old: set[tuple] = set()
    for chunk in _chunks(rewritten_docs, 200):
        values = " ".join(f"<{KGR['doc/' + d]}>" for d in chunk)
        for s in store.query(f"SELECT ?s ?p ?o WHERE {{ VALUES ?d {{ {values} }} ?st <{kgo}source> ?d ; "
                             f"<{rdf}subject> ?s ; <{rdf}predicate> ?p ; <{rdf}object> ?o }}"):
            supported_by_old.add((s["s"], s["p"], s["o"]))
        store.update(
            f"DELETE {{ ?e <{kgo}mention> ?m . ?m ?p ?o }} WHERE {{ VALUES ?d {{ {values} }} "
            f"?m <{kgo}document> ?d ; ?p ?o . ?e <{kgo}mention> ?m }} ;\n"
            f"DELETE {{ ?e <{kgo}mentionedIn> ?d }} WHERE {{ VALUES ?d {{ {values} }} ?e <{kgo}mentionedIn> ?d }} ;\n"
            f"DELETE {{ ?st ?p ?o }} WHERE {{ VALUES ?d {{ {values} }} ?st <{kgo}source> ?d ; ?p ?o }} ;\n"
            f"DELETE {{ ?d ?p ?o }} WHERE {{ VALUES ?d {{ {values} }} ?d ?p ?o }}")
    described = [str(RDF.type), str(RDFS.label), "http://www.w3.org/2004/02/skos/core#altLabel",
                 "http://www.w3.org/2002/07/owl#sameAs"]
    for chunk in _chunks(stale_iris, 200):
        values = " ".join(f"<{i}>" for i in chunk)
        props = " ".join(f"<{p}>" for p in described)
        store.update(f"DELETE {{ ?e ?p ?o }} WHERE {{ VALUES ?e {{ {values} }} VALUES ?p {{ {props} }} ?e ?p ?o }}")
    store.update(f"DELETE WHERE {{ <{BUILD}> ?p ?o }}")
    store.bulk_extend(ox.Quad(_ox(s), _ox(p), _ox(o)) for s, p, o in add)
    for s, p, o in sorted(supported_by_old, key=str):  # a direct edge no statement states any more goes
        stated = store.query(f"ASK {{ ?st <{rdf}subject> ?s ; <{rdf}predicate> ?p ; <{rdf}object> ?o }}",
                             substitutions={ox.Variable("s"): s, ox.Variable("p"): p, ox.Variable("o"): o})
        if not bool(stated):
            store.remove(ox.Quad(s, p, o))
    onto = ox.NamedNode(str(ONTOLOGY_GRAPH))
    if store.contains_named_graph(onto):
        store.remove_graph(onto)
    for f in vocabulary_files():
        store.load(path=str(f), format=ox.RdfFormat.TURTLE, to_graph=onto)
    store.flush()
    del store


def _chunks(items: list, n: int) -> Iterator[list]:
    for i in range(0, len(items), n):
        yield items[i:i + n]
