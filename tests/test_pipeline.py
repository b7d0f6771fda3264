"""The build as a library: parse cache, parallel parsing, same graph whatever the route."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.language import Language

from kg.export import serialize
from kg.pipeline import build

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [str(ROOT / "seeds")]


@pytest.fixture(scope="module")
def reference(nlp):
    return serialize(build(SEEDS).graph, "nt")


def test_second_build_with_a_parse_cache_does_not_run_spacy(tmp_path, monkeypatch, reference):
    assert serialize(build(SEEDS, cache_dir=str(tmp_path)).graph, "nt") == reference
    assert len(list(tmp_path.rglob("*.spacy"))) == 2

    def no_parsing(*args, **kwargs):
        raise AssertionError("spaCy ran although every text was in the cache")

    monkeypatch.setattr(Language, "pipe", no_parsing)
    assert serialize(build(SEEDS, cache_dir=str(tmp_path)).graph, "nt") == reference


def test_a_changed_text_is_parsed_again(tmp_path, reference):
    cache = tmp_path / "cache"
    build(SEEDS, cache_dir=str(cache))
    article = tmp_path / "a.txt"
    article.write_text("Nouvelle aide\nLe Pentagone a annoncé une aide de 100 millions de dollars à l'Ukraine.\n",
                       encoding="utf-8")
    result = build([str(article)], cache_dir=str(cache))
    assert [r.predicate for r in result.relations] == ["funds"]
    assert len(list(cache.rglob("*.spacy"))) == 3


def test_two_spacy_processes_give_the_same_graph(reference):
    assert serialize(build(SEEDS, workers=2).graph, "nt") == reference
