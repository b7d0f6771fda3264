"""Entity mentions: NER mistakes corrected, boilerplate ignored, names merged into one actor."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.resolve import mention_keys, translit

ROOT = Path(__file__).resolve().parent.parent


def _names(mentions):
    return {(m.name, m.etype) for m in mentions}


def test_known_actor_gets_gazetteer_type_not_ner_type(mentions):
    ms = mentions("Le Pentagone a publié un communiqué.")
    assert ("Pentagone", "GovernmentOrganization") in _names(ms)


def test_company_after_ceo_title_is_an_organization(mentions):
    ms = mentions("Jean Morel, PDG de Vexalia, a démissionné.")
    assert any(m.name == "Vexalia" and m.etype != "Person" for m in ms)


def test_boilerplate_is_not_an_entity(mentions):
    text = "La Pologne soutient l'Ukraine.\nThis website uses cookies to improve your experience. Accept Read More\nRelated Articles\n"
    assert not any("Accept" in m.text or "Related" in m.text for m in mentions(text))


def test_lowercase_national_army_is_an_actor(mentions):
    ms = mentions("Les combats opposent l'armée française aux rebelles.")
    assert ("armée française", "MilitaryOrganization") in _names(ms)


def test_a_countrys_forces_and_troops_are_its_army(mentions):
    """"les forces russes", "les troupes russes" and the gazetteer's "armée russe" are one actor."""
    ms = mentions("Les forces russes avancent. Les troupes russes sont au Mali. L'armée russe a frappé Kiev.")
    armies = [m for m in ms if m.etype == "MilitaryOrganization"]
    assert len(armies) == 3 and len(set(mention_keys(armies).values())) == 1, [(m.text, m.name) for m in armies]
    ms = mentions("Les troupes rwandaises soutiennent les rebelles.")
    assert ("armée rwandaise", "MilitaryOrganization") in _names(ms)


def test_demonym_names_its_country(mentions):
    ms = mentions("Les États-Unis forment les Ukrainiens.")
    assert any(m.text == "Ukrainiens" and m.name == "Ukraine" for m in ms)


def test_surname_merges_with_full_name(mentions):
    ms = mentions("Le sénateur Paul Verdier est arrivé. Verdier a ensuite parlé aux journalistes.")
    keys = mention_keys([m for m in ms if m.etype == "Person"])
    assert len(set(keys.values())) == 1


def test_transliterations_share_a_key():
    assert translit("Prigojine") == translit("Prigozhin")
    assert translit("Choïgou") == translit("Shoigu")
    assert translit("Poutine") == translit("Putin")


def test_acronym_in_parentheses_names_the_same_organisation(mentions):
    ms = mentions("L'Agence spatiale européenne (ESA) a lancé un satellite. L'ESA prévoit un autre lancement.")
    keys = mention_keys(ms)
    esa = {keys[m] for m in ms if "ESA" in m.text or "Agence" in m.text}
    assert len(esa) == 1


def test_segment_reads_the_same_texts_as_spacy_spans(nlp):
    """Segment slices the text by token offsets instead of building Spans (for speed): every slice, every
    sentence, must be what spaCy's Span.text gives, whitespace runs and trailing spaces included."""
    from kg.extract.entities import Segment

    text = "Le  Pentagone soutient l'Ukraine.\nIl finance Kiev ,  dit-il . "
    doc = nlp(text)
    seg = Segment.of(doc, text)
    for s in range(len(doc) + 1):
        for e in range(s, len(doc) + 1):
            assert seg.span_text(s, e) == doc[s:e].text, (s, e)
    assert seg.sent_texts == [x.text.strip() for x in doc.sents]
    assert seg.lemmas == [t.lemma_ for t in doc] and seg.lowers == [t.lower_ for t in doc]


def test_a_country_the_hand_gazetteer_lacks_is_a_country_from_reference_data(mentions):
    ms = {m.name: m.etype for m in mentions("L'Ouganda et la Tanzanie ont signé un accord avec le Burundi.")}
    assert ms.get("Ouganda") == "Country" and ms.get("Burundi") == "Country"


def test_places_yaml_is_what_the_generator_makes_from_pycountry():
    import subprocess
    import sys

    pytest.importorskip("pycountry")
    made = subprocess.run([sys.executable, str(ROOT / "tools" / "make_places.py")], capture_output=True, text=True,
                          check=True).stdout
    assert made == (ROOT / "kg" / "data" / "places.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("text,names", [
    ("La République d'Estonie et la République de la Lettonie soutiennent l'Ukraine.", {"Estonie", "Lettonie"}),
    ("L'État russe a attaqué l'Ukraine, selon l'État israélien.", {"Russie", "Israël"}),
    ("Le Royaume du Maroc a signé l'accord.", {"Maroc"}),
])
def test_a_state_named_by_its_form_of_government_is_that_country(text, names, mentions):
    found = {m.name: m.etype for m in mentions(text)}
    assert all(found.get(n) == "Country" for n in names), found


@pytest.mark.parametrize("text,not_actor", [
    ("Les combats se sont intensifiés dans l'Est, selon Kiev.", "Est"),
    ("Le Sud du pays reste calme, a déclaré Paris.", "Sud"),
    ("Le Norvégien Jens Stoltenberg a parlé à Bruxelles.", "Norvégien"),
])
def test_compass_points_and_singular_nationality_adjectives_are_not_actors(text, not_actor, mentions):
    found = {m.text for m in mentions(text)}
    assert not_actor not in found, found


@pytest.mark.parametrize("text,name,etype", [
    ("Le président de l'association « Entraide pour tous » a été reçu à la mairie.", "Entraide pour tous",
     "Organization"),
    ("Selon l'ONG Terre Solidaire, la situation empire.", "Terre Solidaire", "Organization"),
    ("Une association dénommée « Vivre Mieux Ensemble » a été fondée hier.", "Vivre Mieux Ensemble", "Organization"),
    ("Le quotidien Shibao Ribao a publié l'entretien.", "Shibao Ribao", "MediaOrganization"),
    ("Les otages sont détenus par le « Front de libération des Vallées » depuis mars.",
     "Front de libération des Vallées", "Organization"),
])
def test_a_class_noun_gives_the_name_after_it_and_its_type(text, name, etype, mentions):
    found = {m.text: m.etype for m in mentions(text)}
    assert found.get(name) == etype, found


def test_a_name_after_a_rank_is_not_the_class_nouns(mentions):
    """In "le général d'armée X", X is the general, not an army."""
    found = {m.text: m.etype for m in mentions("Le ministre a reçu le général d'armée Paul Durand, hier à Paris.")}
    assert found.get("Paul Durand") == "Person", found


@pytest.mark.parametrize("text,org,person", [
    ("Le chef de l'Otan Mark Rutte a salué l'accord.", "OTAN", "Mark Rutte"),
    ("Le porte-parole du Kremlin Dmitri Peskov a démenti.", "Kremlin", "Dmitri Peskov"),
    ("Le président du groupe Wagner Evgueni Prigojine a parlé.", "Groupe Wagner", "Evgueni Prigojine"),
])
def test_a_persons_name_glued_to_an_organisations_is_split_off(text, org, person, mentions):
    found = {m.name: m.etype for m in mentions(text)}
    assert found.get(person) == "Person" and org in found, found
