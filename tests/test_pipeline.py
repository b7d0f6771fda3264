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


def test_an_actor_named_only_by_an_adjective_is_mentioned_in_its_document(tmp_path, nlp):
    """"Les soldats russes ont attaqué Kharkiv" names Russia by an adjective only; the build used to break
    the shapes (an actor with no document) and write nothing. ("Les forces russes" is Russia's army.)"""
    from click.testing import CliRunner
    from rdflib import Graph

    from kg.cli import main
    from kg.namespace import KGO, KGR

    (tmp_path / "a.txt").write_text("Attaque\n\nLes soldats russes ont attaqué Kharkiv dans la nuit de lundi.\n",
                                    encoding="utf-8")
    res = CliRunner().invoke(main, ["build", str(tmp_path / "a.txt"), "--out", str(tmp_path / "o"), "--no-html"])
    assert res.exit_code == 0, res.output
    g = Graph().parse(tmp_path / "o" / "graph.ttl")
    assert (KGR["russie"], KGO.attacks, KGR["kharkiv"]) in g
    assert len(list(g.objects(KGR["russie"], KGO.mentionedIn))) == 1


def test_components_kg_disables_change_nothing_the_extractor_reads(nlp):
    """kg.nlp.UNUSED is skipped for speed; if a model version made one of them matter (a lemma, a POS, a
    morphological feature, a head or an entity changes), this fails and the component must run again."""
    from kg.nlp import UNUSED

    assert UNUSED and all(c in nlp.pipe_names for c in UNUSED)
    texts = [p for path in sorted((ROOT / "seeds").glob("*.txt"))
             for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]

    def seen(doc):
        return [(t.text, t.lemma_, t.pos_, str(t.morph), t.dep_, t.head.i, t.ent_iob_, t.ent_type_,
                 t.is_sent_start) for t in doc]

    full = [seen(d) for d in nlp.pipe(texts)]
    assert full == [seen(d) for d in nlp.pipe(texts, disable=list(UNUSED))]
    assert sum(map(len, full)) > 1000
