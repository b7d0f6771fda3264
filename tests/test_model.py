"""The learned decision: candidates from the parse, a model that is data, statements that say how sure
they are and what decided them, and negation, denial, allegation and future kept out whatever it says."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from conftest import make_document
from kg.cli import main
from kg.extract.decide import CLASSES, MODEL_FILE, RelationModel, allowed_classes, load_model
from kg.extract.relations import extract, extract_with_candidates
from kg.namespace import KGO
from kg.nlp import parse

ROOT = Path(__file__).resolve().parent.parent


def _candidates(text: str, lex):
    doc = make_document(text, lex)
    (_, sds), = list(parse([doc]))
    return extract_with_candidates(doc, sds, lex)[2]


def _always(predicate: str, lex, confidence_logit: float = 8.0) -> RelationModel:
    """A model that says ``predicate`` (first mention as subject) of every pair, very surely."""
    intercept = [0.0] * len(CLASSES)
    intercept[CLASSES.index(predicate + ">")] = confidence_logit
    return RelationModel("stub", "0", CLASSES, intercept, {}, 0.5, 0.9, {})


@pytest.mark.parametrize("text,pair,features", [
    ("Le Canada soutient le Mali.", ("Canada", "Mali"), {"ta=Place", "tb=Place", "trig=supports"}),
    ("Jean Dupont, président de l'association Greenpeace, est arrivé.", ("Jean Dupont", "Greenpeace"),
     {"ta=Person", "tb=Organization"}),
])
def test_a_pair_the_sentence_links_is_a_candidate_with_its_evidence(text, pair, features, nlp, lex):
    cands = _candidates(text, lex)
    found = [(c.first.name, c.second.name) for c, _, _ in cands]
    assert pair in found
    c = next(c for c, _, _ in cands if (c.first.name, c.second.name) == pair)
    assert features <= set(c.features) and any(f.startswith("path=") for f in c.features)


def test_a_verb_no_table_lists_is_read_through_the_nearest_trigger_in_the_word_vectors(nlp, lex):
    [(c, _, _)] = _candidates("Le Canada épaulait discrètement le Mali.", lex) or [(None, None, None)]
    assert c is not None and not any(f.startswith("near=") for f in c.features)  # a listed trigger: no need
    cands = _candidates("Le Canada finance et subventionne le Mali ; la Pologne appuie l'Ukraine.", lex)
    assert cands


@pytest.mark.parametrize("text,kept", [
    # a verb no rule table lists, so the (stub) model decides
    ("Le Canada courtise le Mali.", True),  # the positive control: the stub model's relation is kept
    ("Le Canada ne courtise pas le Mali.", False),
    ("Le Canada nie courtiser le Mali.", False),
    ("Le Canada courtiserait le Mali, selon des rumeurs.", False),
    ("Le Canada courtisera le Mali l'an prochain.", False),
])
def test_negated_denied_alleged_and_future_statements_stay_out_whatever_the_model_says(text, kept, nlp, lex):
    stub = dataclasses.replace(lex, model=_always("supports", lex))
    doc = make_document(text, lex)
    (_, sds), = list(parse([doc]))
    rels = [(r.subject.name, r.predicate, r.object.name, r.rule) for r in extract(doc, sds, stub)[1]]
    assert (("Canada", "supports", "Mali", "model:stub-0") in rels) is kept, rels


def test_announced_aid_is_kept_though_it_is_in_the_future(nlp, lex):
    stub = dataclasses.replace(lex, model=_always("funds", lex))
    doc = make_document("Le Canada versera au Mali une somme importante l'an prochain.", lex)
    (_, sds), = list(parse([doc]))
    assert [r.predicate for r in extract(doc, sds, stub)[1]] == ["funds"]


def test_the_decision_only_takes_predicates_the_two_types_allow_and_respects_the_cut():
    m = RelationModel("t", "1", CLASSES, [0.0] * len(CLASSES), {"x": [(CLASSES.index("commands>"), 5.0),
                                                                       (CLASSES.index("leads>"), 3.0)]},
                      0.5, 0.9, {})
    person_place = {"ta=Person": 1.0, "tb=Place": 1.0, "x": 1.0}
    assert not allowed_classes(person_place)[CLASSES.index("commands>")]  # a person commands no place
    d = m.decide(person_place)
    assert d.predicate == "leads" and d.forward and 0.5 < d.confidence <= 1
    assert m.decide(person_place, cut=0.999) is None
    assert m.decide({"ta=Person": 1.0, "tb=Place": 1.0}) is None  # nothing stands out: under the cut


def test_the_shipped_model_is_small_has_its_card_and_loads():
    assert MODEL_FILE.stat().st_size <= 20_000_000
    model = load_model()
    assert model.rule_id == "model:kg-relations-1" and 0 < model.min_confidence < 1
    card = MODEL_FILE.with_suffix(".md").read_text(encoding="utf-8")
    assert hashlib.sha256(MODEL_FILE.read_bytes()).hexdigest() in card and "Held-out figures" in card


def test_statements_carry_their_confidence_and_what_decided_them_and_min_confidence_cuts(tmp_path, nlp):
    res = CliRunner().invoke(main, ["build", str(ROOT / "seeds"), "--out", str(tmp_path / "a"), "--no-html"])
    assert res.exit_code == 0, res.output
    g = Graph().parse(tmp_path / "a" / "graph.ttl")
    statements = list(g.subjects(predicate=KGO.rule))
    assert statements and all(0 <= float(g.value(st, KGO.confidence)) <= 1 for st in statements)
    res = CliRunner().invoke(main, ["build", str(ROOT / "seeds"), "--out", str(tmp_path / "b"), "--no-html",
                                    "--min-confidence", "0.99"])
    assert res.exit_code == 0 and ", 0 relations" in res.output, res.output


def test_kg_train_rebuilds_the_same_model_byte_for_byte_from_your_own_examples(tmp_path, nlp):
    texts = tmp_path / "texts"
    texts.mkdir()
    sentences = {"01": "Le Canada soutient le Mali depuis des années.", "02": "La Pologne combat la Russie.",
                 "03": "Le Canada protège le Niger, selon Ottawa.", "04": "La France appuie le Tchad."}
    for key, s in sentences.items():
        (texts / f"{key}_article.txt").write_text(f"Titre {key}\n\n{s}\n", encoding="utf-8")
    gold = {"entities": {k: {"type": "Place", "names": [n]} for k, n in
                         (("canada", "Canada"), ("mali", "Mali"), ("pologne", "Pologne"), ("russie", "Russie"),
                          ("niger", "Niger"), ("france", "France"), ("tchad", "Tchad"))},
            "relations": [{"doc": "01", "s": "canada", "p": "supports", "o": "mali", "evidence": "soutient le Mali"},
                          {"doc": "02", "s": "pologne", "p": "opposes", "o": "russie", "evidence": "combat la Russie"},
                          {"doc": "03", "s": "canada", "p": "supports", "o": "niger", "evidence": "protège le Niger"},
                          {"doc": "04", "s": "france", "p": "supports", "o": "tchad", "evidence": "appuie le Tchad"}]}
    (tmp_path / "mine.gold.yaml").write_text(json.dumps(gold), encoding="utf-8")  # JSON is YAML
    popcorn = tmp_path / "p.json"
    popcorn.write_text(json.dumps({"a": {"text": "Le Canada soutient le Mali.", "entities": [], "relations": []}}))
    digests = []
    for run in ("one", "two"):
        out = tmp_path / f"{run}.json"
        res = CliRunner().invoke(main, ["train", "--annotated", f"{tmp_path / 'mine.gold.yaml'}={texts}",
                                        "--popcorn", str(popcorn), "--out", str(out)])
        assert res.exit_code == 0, res.output
        digests.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    model = load_model(tmp_path / "one.json")
    assert model.card["data"]["mine"]["positive"] == 4 and (tmp_path / "one.md").is_file()


def test_kg_train_without_annotation_says_what_it_needs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["train"])
    assert res.exit_code == 1 and "no annotated data" in res.output
