"""`kg build --scheduler`: parsing and extraction on a Dask cluster give the same graph as a local build."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.pipeline import build
from kg.store import open_store

pytest.importorskip("dask.distributed")

ROOT = Path(__file__).resolve().parent.parent


def _kg(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The seeds and the dev-like copies: enough documents for several partitions on two workers."""
    src = tmp_path_factory.mktemp("articles")
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    for i in range(40):
        text = seeds[i % 2].read_text(encoding="utf-8")
        (src / f"{i:03d}.txt").write_text(text + f"\nCopie numéro {i}.\n", encoding="utf-8")
    return src


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster

    c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    yield c
    c.close()


def test_a_build_on_a_two_worker_cluster_equals_the_local_build_byte_for_byte(tmp_path, corpus, cluster, nlp):
    local, dist = tmp_path / "local", tmp_path / "dist"
    assert _kg("build", corpus, "--out", local, "--no-html").exit_code == 0
    res = _kg("build", corpus, "--out", dist, "--no-html", "--scheduler", cluster.scheduler_address)
    assert res.exit_code == 0, res.output
    assert (dist / "graph.ttl").read_bytes() == (local / "graph.ttl").read_bytes()
    # the work really went to both workers
    from dask.distributed import Client

    with Client(cluster.scheduler_address) as client:
        loaded = client.run(lambda: __import__("kg.nlp").nlp._load.cache_info().currsize)
    assert len(loaded) == 2 and all(n == 1 for n in loaded.values())


def test_a_store_built_on_the_cluster_equals_the_local_store_triple_for_triple(tmp_path, corpus, cluster, nlp):
    local, dist = tmp_path / "local", tmp_path / "dist"
    assert _kg("build", corpus, "--store", local, "--batch", "15").exit_code == 0
    res = _kg("build", corpus, "--store", dist, "--batch", "15", "--scheduler", cluster.scheduler_address)
    assert res.exit_code == 0, res.output
    a = set(open_store(local, with_ontology=False).triples((None, None, None)))
    b = set(open_store(dist, with_ontology=False).triples((None, None, None)))
    assert a == b and len(a) > 500


def test_a_local_n_scheduler_starts_its_own_cluster(corpus, nlp):
    few = sorted(corpus.glob("*.txt"))[:3]
    assert set(build(few, scheduler="local:1").graph) == set(build(few).graph)


def test_a_bad_or_unreachable_scheduler_is_one_clear_line(tmp_path):
    res = _kg("build", ROOT / "seeds", "--out", tmp_path / "o", "--scheduler", "not an address")
    assert res.exit_code == 1 and "expected a Dask scheduler address" in res.output
    res = _kg("build", ROOT / "seeds", "--out", tmp_path / "o", "--scheduler", "tcp://127.0.0.1:9")
    assert res.exit_code == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in res.output
    assert not (tmp_path / "o").exists()
