"""`kg build --store`: incremental, same graph as a full build, safe against SIGKILL and a second writer."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Literal

from kg.cli import main
from kg.export import serialize
from kg.query import load_graph, run_query
from kg.store import current_dir, known_documents, open_store

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))


def _kg(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _nt(graph) -> set[str]:
    """The N-Triples lines of a graph as its export writes them (so literals compare by their exact lexical
    form: a store must export the bytes a file does), without the build record (its time and paths differ)."""
    return {line for line in serialize(graph, "nt").decode().splitlines()
            if line.strip() and not line.startswith("<https://w3id.org/kg-news/id/build>")}


@pytest.fixture(scope="module")
def full_build(tmp_path_factory, nlp):
    out = tmp_path_factory.mktemp("full")
    assert _kg("build", ROOT / "seeds", "--out", out).exit_code == 0
    return load_graph(str(out / "graph.ttl"), with_ontology=False)


def test_store_built_one_document_at_a_time_equals_a_full_build(tmp_path, full_build):
    store = tmp_path / "store"
    assert _kg("build", SEEDS[0], "--store", store).exit_code == 0
    res = _kg("build", SEEDS[1], "--store", store)
    assert res.exit_code == 0 and "1 new document(s), 2 in all" in res.output, res.output
    assert _nt(open_store(store, with_ontology=False)) == _nt(full_build)  # new mentions merged into the existing actors


def test_rerunning_on_the_same_files_adds_nothing(tmp_path):
    store = tmp_path / "store"
    assert _kg("build", ROOT / "seeds", "--store", store).exit_code == 0
    current = current_dir(store)
    res = _kg("build", ROOT / "seeds", "--store", store)
    assert res.exit_code == 0 and "no new document" in res.output
    assert current_dir(store) == current and len(known_documents(store)) == 2


def test_query_render_export_and_validate_read_a_store(tmp_path):
    store = tmp_path / "store"
    _kg("build", ROOT / "seeds", "--store", store)
    res = _kg("query", store, "--name", "leaders-of", "--param", "group=Wagner")
    assert res.exit_code == 0 and "Evgueni Prigojine" in res.output
    assert _kg("render", store, "--out", tmp_path / "g.html").exit_code == 0
    assert _kg("export", store, "--format", "nt", "--out", tmp_path / "g.nt").exit_code == 0
    assert _kg("validate", store).exit_code == 0
    g = open_store(store)
    assert type(g.store).__name__ == "OxigraphStore"
    assert run_query(g, "ASK { ?s kgo:funds ?o }")["boolean"] is True


def test_a_second_writer_fails_clearly(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    fd = os.open(store, os.O_RDONLY)  # what a running writer holds
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        res = _kg("build", ROOT / "seeds", "--store", store)
    finally:
        os.close(fd)
    assert res.exit_code == 1 and "being written by another kg build" in res.output


def test_sigkill_midway_leaves_a_store_with_exactly_the_finished_batches(tmp_path):
    src = tmp_path / "articles"
    src.mkdir()
    for i in range(60):
        shutil.copy(SEEDS[i % 2], src / f"{i:03d}.txt")
        with open(src / f"{i:03d}.txt", "a", encoding="utf-8") as fh:
            fh.write(f"\nCopie numéro {i}.\n")
    store = tmp_path / "store"
    _kg("build", SEEDS[0], "--store", store)  # a previous good state: 1 document
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "build", str(src), "--store", str(store),
                             "--batch", "4"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(known_documents(store)) < 9 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = known_documents(store)
    assert 9 <= len(finished) < 61, "the kill did not land midway"
    assert (len(finished) - 1) % 4 == 0  # whole batches of 4, never part of one
    g = open_store(store)  # opens as it is: no repair needed
    docs = {r[0]["value"] for r in run_query(g, "SELECT ?h WHERE { ?d kgo:sha256 ?h }")["rows"]}
    assert docs == finished
    # and the next build carries on from there, ending with the graph of all 61 documents
    res = _kg("build", src, "--store", store, "--batch", "25")
    assert res.exit_code == 0 and "61 in all" in res.output, res.output
    assert len(list((store).glob("oxigraph-*"))) <= 2  # directories of the interrupted batch were removed


# -- exactness of incremental resolution, on synthetic records (no spaCy) ---------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from kg.graph import build_graph  # noqa: E402
from kg.lexicon import load_lexicon  # noqa: E402
from kg.records import Document, Mention, Relation  # noqa: E402
from kg.resolve import resolve  # noqa: E402
from kg.export import _in_memory  # noqa: E402
from kg.store import StoreWriter  # noqa: E402
from kg.validate import validate  # noqa: E402

# (text, name, etype, gaz_id, source): surnames alone and full names sharing them, aliases declared by one
# mention and read by others, names whose counts can flip, a gazetteer actor, and two names with one slug
_FORMS = [
    ("Dupont", "Dupont", "Person", None, "ner"),
    ("Jean Dupont", "Jean Dupont", "Person", None, "ner"),
    ("Marie Dupont", "Marie Dupont", "Person", None, "ner"),
    # given names that agree join across documents, only while every two of them agree
    ("Jean D. Dupont", "Jean D. Dupont", "Person", None, "ner"),
    ("Jan Dupont", "Jan Dupont", "Person", None, "ner"),
    ("Mohammed Deif", "Mohammed Deif", "Person", None, "ner"),
    ("Muhammed Deif", "Muhammed Deif", "Person", None, "ner"),
    ("Deif", "Deif", "Person", None, "ner"),
    ("Prigozhin", "Prigozhin", "Person", None, "ner"),
    ("Evgueni Prigojine", "Evgueni Prigojine", "Person", None, "ner"),
    ("l'Alliance", "Alliance atlantique", "Organization", None, "description"),
    ("Alliance", "Alliance", "Organization", None, "ner"),
    ("ACME", "ACME", "Organization", None, "ner"),
    ("ACME", "Acme Corporation", "Company", None, "acronym"),
    ("Acme Corporation", "Acme Corporation", "Company", None, "ner"),
    ("Acmé", "Acmé", "Organization", None, "ner"),
    ("Acmé", "Acmé", "City", None, "ner"),  # votes can flip its class, and with it which relations hold
    # one name, two actors: the later one (a company) takes the plain IRI from the earlier one (a person)
    ("Lebrun", "Lebrun", "Person", None, "ner"),
    ("Lebrun", "Lebrun", "Company", None, "ner"),
    ("Poutine", "Vladimir Poutine", "Person", "putin", "gazetteer"),
    ("Wagner", "Groupe Wagner", "MilitaryOrganization", "wagner", "gazetteer"),
    ("russes", "Russie", "Country", "russia", "adjective"),
    ("la Russie", "Russie", "Country", "russia", "gazetteer"),
]
_docs = st.lists(st.lists(st.sampled_from(range(len(_FORMS))), min_size=1, max_size=6), min_size=1, max_size=6)


def _records(spec: list[list[int]]) -> list[tuple[Document, list[Mention], list[Relation]]]:
    out = []
    for i, forms in enumerate(spec):
        sha = hashlib.sha256(f"{i}:{forms}".encode()).hexdigest()
        doc = Document(path=f"d{i}.txt", text="", sha256=sha, title=f"Doc {i}", segments=())
        ms = []
        for j, f in enumerate(forms):
            text, name, etype, gaz, source = _FORMS[f]
            ms.append(Mention(doc.doc_id, 10 * j, 10 * j + len(text), text, name, etype, gaz, f"phrase {j}",
                              source))
        preds = ("opposes", "memberOf", "locatedIn", "funds")
        rels = [Relation(a, preds[j % 4], b, doc.doc_id, "phrase", 0, 5, "test")
                for j, (a, b) in enumerate(zip(ms, ms[1:]))]
        out.append((doc, ms, rels))
    return out


def _full(records) -> set:
    lex = load_lexicon()
    ms = [m for _, x, _ in records for m in x]
    rs = [r for _, _, x in records for r in x]
    entities, keys = resolve(ms, rs, lex)
    return _nt(build_graph([d for d, _, _ in records], entities, keys, rs, "test-model"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=_docs, cuts=st.lists(st.integers(1, 3), min_size=6, max_size=6))
def test_a_store_fed_in_any_batches_holds_the_graph_of_a_build_of_everything(tmp_path_factory, spec, cuts):
    records = _records(spec)
    root = tmp_path_factory.mktemp("inc")
    writer = StoreWriter(root, load_lexicon(), "test-model", "fp")
    i = 0
    for n in cuts:
        if i >= len(records):
            break
        writer.add_batch(records[i:i + n])  # validated: each batch against what the store holds
        i += n
    if i < len(records):
        writer.add_batch(records[i:])
    writer.close()
    graph = open_store(root, with_ontology=False)
    assert _nt(graph) == _full(records)
    assert validate(_in_memory(graph)) == []


def test_queries_on_a_store_run_on_oxigraphs_engine_with_parameters_bound_safely(tmp_path, monkeypatch, nlp):
    """rdflib silently falls back to its own (slow) engine when a store refuses a query; kg must not."""
    import oxrdflib.store

    from kg.query import execute, named_query

    store = tmp_path / "store"
    assert _kg("build", ROOT / "seeds", "--store", store).exit_code == 0
    calls = []
    real = oxrdflib.store.OxigraphStore.query
    monkeypatch.setattr(oxrdflib.store.OxigraphStore, "query", lambda self, *a, **k: calls.append(a[0]) or
                        real(self, *a, **k))
    g = open_store(store)
    sparql, bindings = named_query("funders-of", ["target=Ukraine"])
    res = execute(g, sparql, bindings)
    assert len(calls) == 1 and {r[0]["value"] for r in res["rows"]} == {"Pentagone", "États-Unis"}
    for hostile in ['Ukraine" } ?a ?b ?c #', "x\n} UNION { ?s ?p ?o", "<http://x>", "\\u0022"]:
        sparql, bindings = named_query("funders-of", [f"target={hostile}"])
        assert execute(g, sparql, bindings)["rows"] == []
    assert len(calls) == 5


@pytest.mark.parametrize("sparql, head", [
    ('PREFIX ex: <http://x/#WHERE> SELECT ?where WHERE { ?s ex:WHERE "a { WHERE" }',
     'PREFIX ex: <http://x/#WHERE> SELECT ?where WHERE {'),
    ("SELECT * { ?s ?p ?o FILTER(?o < 5) }", "SELECT * {"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT { ?s ?p ?o } WHERE {"),
    ("# SELECT * WHERE {\nSELECT (?a < ?b AS ?c) WHERE { ?s ?p ?o }", "# SELECT * WHERE {\nSELECT (?a < ?b AS ?c) WHERE {"),
    ("SELECT * WHERE { ?s ?p '''x { '' WHERE''' }", "SELECT * WHERE {"),
    ("CONSTRUCT WHERE { ?s ?p ?o }", None),  # short form: triples only, so the VALUES goes at the end
])
def test_bound_values_open_the_where_group_found_by_sparqls_lexical_rules(sparql, head):
    from kg.query import check_query, where_brace, with_values

    at = where_brace(sparql)
    assert (sparql[:at] if at is not None else None) == head
    check_query(with_values(sparql, {"s": Literal('v" } ?x ?y ?z #')}))


def test_no_shape_reads_mentions_so_batch_validation_may_leave_them_out():
    """The store validates each batch without its mention nodes (most of its triples); that is only sound
    while ontology/shapes.ttl has no constraint on kgo:Mention or kgo:mention. If one is added, this fails."""
    from kg.validate import mention_free

    assert mention_free()


def test_a_document_whose_graph_breaks_a_shape_is_skipped_and_the_rest_of_its_batch_is_stored(tmp_path, monkeypatch,
                                                                                               nlp):
    """One bad document must not stop a build of thousands: the batch is split down to the document at fault."""
    from conftest import break_shapes_of

    src = tmp_path / "articles"
    src.mkdir()
    for i in range(6):
        (src / f"{i}.txt").write_text(SEEDS[i % 2].read_text(encoding="utf-8") + f"\nCopie {i}.\n", encoding="utf-8")
    break_shapes_of(monkeypatch, "3.txt")
    res = _kg("build", src, "--store", tmp_path / "store", "--batch", "6")
    assert res.exit_code == 2, res.output
    assert "5 new document(s), 5 in all" in res.output
    [line] = [x for x in res.output.splitlines() if x.startswith("kg: skipped:")]
    assert line.startswith(f"kg: skipped: {(src / '3.txt').as_posix()}: the graph would break") and "skipped" in line
    assert len(known_documents(tmp_path / "store")) == 5


# -- a damaged store is refused, never wiped -----------------------------------------------------------------


def _snapshot(root: Path) -> dict[str, str]:
    """Every file's hash, but SQLite's transient -wal and -shm files (opening a database may create them)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


def _damage_state(root: Path, how: str) -> None:
    db = root / "kg.sqlite"
    for extra in root.glob("kg.sqlite-*"):
        extra.unlink()
    if how == "missing":
        db.unlink()
    elif how == "empty":
        db.write_bytes(b"")
    elif how == "garbage":
        db.write_bytes(os.urandom(8192))
    elif how == "truncated sqlite":
        db.write_bytes(db.read_bytes()[:4096])
    elif how == "corrupt oxigraph":
        gen = current_dir(root)
        for f in gen.iterdir():
            if f.is_file() and f.stat().st_size:
                f.write_bytes(b"\x00garbage" * 64)


@pytest.mark.parametrize("how", ["missing", "empty", "garbage", "truncated sqlite", "corrupt oxigraph"])
def test_a_damaged_store_is_refused_on_one_line_and_left_untouched(tmp_path, how, nlp):
    store = tmp_path / "store"
    assert _kg("build", SEEDS[0], "--store", store).exit_code == 0
    _damage_state(store, how)
    before = _snapshot(store)
    for args in (("build", SEEDS[1], "--store", store), ("query", store, "ASK { ?s ?p ?o }"),
                 ("export", store, "--format", "nt", "--out", tmp_path / "x.nt")):
        res = _kg(*args)
        assert res.exit_code == 1, (args, res.output)
        assert res.output.startswith("kg: error: ") and len(res.output.strip().splitlines()) == 1, res.output
        assert "damaged" in res.output or "cannot" in res.output, res.output
        assert "Traceback" not in res.output
    assert _snapshot(store) == before  # nothing deleted, nothing rewritten


def test_a_folder_with_other_files_is_not_taken_for_a_new_store(tmp_path, nlp):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    res = _kg("build", SEEDS[0], "--store", folder)
    assert res.exit_code == 1 and "is not empty and is not a kg store" in res.output
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_a_store_whose_first_write_was_killed_at_once_starts_afresh(tmp_path, nlp):
    store = tmp_path / "store"
    store.mkdir()
    (store / "kg.sqlite").write_bytes(b"")  # killed between creating the file and writing its first page
    res = _kg("build", SEEDS[0], "--store", store)
    assert res.exit_code == 0 and "1 new document(s), 1 in all" in res.output, res.output


def test_an_actor_that_loses_its_iri_to_a_new_namesake_keeps_no_stale_description(tmp_path):
    """'Selon Lebrun…' (a person) then 'la société Lebrun…' (a company): the company takes kgr:lebrun, the
    person moves to a hashed IRI, and kgr:lebrun must not stay a Person too."""
    person = next(i for i, f in enumerate(_FORMS) if f[:3] == ("Lebrun", "Lebrun", "Person"))
    company = next(i for i, f in enumerate(_FORMS) if f[:3] == ("Lebrun", "Lebrun", "Company"))
    records = _records([[person, 0], [company, 0]])
    writer = StoreWriter(tmp_path / "s", load_lexicon(), "test-model", "fp")
    for r in records:
        writer.add_batch([r])
    writer.close()
    stored = _nt(open_store(tmp_path / "s", with_ontology=False))
    assert not [t for t in stored if t.startswith("<https://w3id.org/kg-news/id/lebrun> ") and "#Person>" in t]
    assert stored == _full(records)


def test_a_disk_error_inside_a_batch_is_reported_as_such_not_as_a_failed_rollback(tmp_path, monkeypatch):
    """On a full disk SQLite rolls the transaction back by itself; a second ROLLBACK would fail with 'cannot
    rollback - no transaction is active' and hide the real reason."""
    import sqlite3

    from kg.errors import KgError

    writer = StoreWriter(tmp_path / "s", load_lexicon(), "test-model", "fp")
    records = _records([[0, 1], [2]])
    writer.add_batch(records[:1])

    def full(batch, validate):
        writer.db.execute("ROLLBACK")  # what SQLite does on SQLITE_FULL
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(writer, "_add", full)
    with pytest.raises(KgError, match=r"cannot write \(database or disk is full\); this batch was not added"):
        writer.add_batch(records[1:])
    monkeypatch.undo()
    assert writer.count() == 1
    writer.close()
