"""`kg build --store`: incremental, same graph as a full build, safe against SIGKILL and a second writer."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal

from kg.cli import main
from kg.export import serialize
from kg.query import load_graph, run_query
from kg.store import STATE, known_documents, open_store

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))


def _kg(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _nt(graph) -> set[tuple]:
    """Triples without the build record (its time and paths differ between runs); typed literals compared by
    value, since Oxigraph writes xsd:decimal 1.1e9 as "1100000000" where rdflib wrote "1100000000.0"."""
    g = Graph().parse(data=serialize(graph, "nt").decode(), format="nt")
    return {(s, p, o.toPython() if isinstance(o, Literal) and o.datatype else o)
            for s, p, o in g if not str(s).endswith("/id/build")}


@pytest.fixture(scope="module")
def full_build(tmp_path_factory, nlp):
    out = tmp_path_factory.mktemp("full")
    assert _kg("build", ROOT / "seeds", "--out", out).exit_code == 0
    return load_graph(str(out / "graph.ttl"), with_ontology=False)


def test_store_built_one_document_at_a_time_equals_a_full_build(tmp_path, full_build):
    store = tmp_path / "store"
    assert _kg("build", SEEDS[0], "--store", store).exit_code == 0
    res = _kg("build", SEEDS[1], "--store", store)
    assert res.exit_code == 0 and "1 new document(s), 2 in all" in res.output
    assert _nt(open_store(store)) == _nt(full_build)  # new mentions merged into the existing actors


def test_rerunning_on_the_same_files_adds_nothing(tmp_path):
    store = tmp_path / "store"
    assert _kg("build", ROOT / "seeds", "--store", store).exit_code == 0
    state = (store / STATE).read_bytes()
    res = _kg("build", ROOT / "seeds", "--store", store)
    assert res.exit_code == 0 and "no new document" in res.output
    assert (store / STATE).read_bytes() == state and len(known_documents(store)) == 2


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
    with open(store / "LOCK", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        res = _kg("build", ROOT / "seeds", "--store", store)
    assert res.exit_code == 1 and "being written by another kg build" in res.output


def test_sigkill_midway_leaves_a_store_with_exactly_the_finished_documents(tmp_path):
    src = tmp_path / "articles"
    src.mkdir()
    for i in range(60):
        shutil.copy(SEEDS[i % 2], src / f"{i:03d}.txt")
        with open(src / f"{i:03d}.txt", "a", encoding="utf-8") as fh:
            fh.write(f"\nCopie numéro {i}.\n")
    store = tmp_path / "store"
    _kg("build", SEEDS[0], "--store", store)  # a previous good state
    before = (store / STATE).read_bytes()
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "build", str(src), "--store", str(store)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(known_documents(store)) < 4 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = known_documents(store)
    assert 4 <= len(finished) < 61, "the kill did not land midway"
    assert (store / STATE).read_bytes() == before  # the store itself was never half-written
    g = open_store(store)  # opens, and catches up with the documents whose records were saved
    docs = {r[0]["value"] for r in run_query(g, "SELECT ?h WHERE { ?d kgo:sha256 ?h }")["rows"]}
    assert docs == finished
    assert set(json.loads((store / STATE).read_text())["documents"]) == finished
