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


@pytest.mark.parametrize("text,name", [
    ("L'armée du Mali a repris Kidal.", "armée malienne"),
    ("L'armée de l'air ukrainienne a abattu un drone.", "armée de l'air ukrainienne"),
    ("Il commande les forces terrestres de la Lettonie.", "forces terrestres lettonnes"),
])
def test_a_national_army_or_service_is_named_by_its_country_or_adjective(text, name, mentions):
    assert name in {m.name for m in mentions(text) if m.etype == "MilitaryOrganization"}


@pytest.mark.parametrize("text,name", [
    ("Le ministère des Affaires étrangères estonien a convoqué l'ambassadeur.",
     "ministère estonien des Affaires étrangères"),
    ("Le ministère de la Défense polonais a confirmé.", "ministère polonais de la Défense"),
    ("Le ministère polonais de la Défense a confirmé.", "ministère polonais de la Défense"),
])
def test_a_national_ministry_has_one_name_whichever_side_its_adjective_is(text, name, mentions):
    assert name in {m.name for m in mentions(text)}


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
    assert seg.sent_texts == [x.text.strip() for x in seg.sents]  # (sentences the parser cut mid-way are joined)
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
    ("Des frappes ont visé l'Est du Liban, selon Beyrouth.", "Est du Liban"),
    ("Le chef de l'État a reçu le Premier ministre à Paris.", "État"),
    ("Le Groupe a publié ses comptes à Paris.", "Groupe"),
    ("Les Forces armées ont défilé à Dakar.", "Forces armées"),
])
def test_compass_points_adjectives_and_words_that_name_no_one_are_not_actors(text, not_actor, mentions):
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
    ("Un membre de l’association ‘’Tous les enfants à l’école’’ a été reçu.", "Tous les enfants à l’école",
     "Organization"),
    ("Le président de l’association «\xa0protégeons la forêt\xa0» a parlé.", "protégeons la forêt", "Organization"),
    ("La directrice de la société locale \"Xpeng\" a parlé.", "Xpeng", "Company"),
    ("Selon la présidente de l’Association « Espoir des hommes », la marche aura lieu.", "Espoir des hommes",
     "Organization"),
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
    ("La Cheffe de la Diplomatie européenne Kaja Kallas a condamné l'attaque.", "Diplomatie européenne",
     "Kaja Kallas"),
    ("Le président du groupe Wagner Evgueni Prigojine a parlé.", "Groupe Wagner", "Evgueni Prigojine"),
])
def test_a_persons_name_glued_to_an_organisations_is_split_off(text, org, person, mentions):
    found = {m.name: m.etype for m in mentions(text)}
    assert found.get(person) == "Person" and org in found, found


@pytest.mark.parametrize("a,b,same", [
    ("Mohammed Deif", "Muhammed Deif", True),
    ("Dmitri Outkine", "Dimitriy Utkin", True),
    ("Tod D. Wolters", "Tod Wolters", True),
    ("Ali Ahmed Karti", "Ali KARTI", True),
    ("Abdul Rahim Dagalo", "Abdel Rahim Hamdan Dagalo", True),
    ("Joe Biden", "Hunter Biden", False),
    ("Jean Martin", "Jeanne Martin", False),
    ("Louis Martin", "Louise Martin", False),
    ("Ali Karti", "Ahmed Karti", False),
])
def test_full_names_join_across_documents_only_when_their_given_names_agree(a, b, same):
    from kg.records import Mention
    ms = [Mention(f"d{i}", 0, len(n), n, n, "Person", None, "s", "ner") for i, n in enumerate((a, b))]
    keys = mention_keys(ms)
    assert (keys[ms[0]] == keys[ms[1]]) is same


def test_a_name_between_two_that_disagree_joins_neither():
    """'Ali Karti' agrees with both 'Ali Ahmed Karti' and 'Ali Hassan Karti', who are two people."""
    from kg.records import Mention
    names = ("Ali Karti", "Ali Ahmed Karti", "Ali Hassan Karti")
    ms = [Mention(f"d{i}", 0, len(n), n, n, "Person", None, "s", "ner") for i, n in enumerate(names)]
    assert len(set(mention_keys(ms).values())) == 3


def test_a_surname_with_a_particle_alone_joins_its_full_name():
    from kg.records import Mention
    ms = [Mention("d0", 0, 18, "Giampaolo Di Paola", "Giampaolo Di Paola", "Person", None, "s", "ner"),
          Mention("d1", 0, 8, "Di Paola", "Di Paola", "Person", None, "s", "ner")]
    keys = mention_keys(ms)
    assert keys[ms[0]] == keys[ms[1]]


@pytest.mark.parametrize("text,acronym,name", [
    ("Les Émirats arabes unis (EAU) ont versé 100 millions de dollars.", "EAU", "Émirats arabes unis"),
    ("Le président, M. Karim Ben Salah (« KBS »), a tranché.", "KBS", "Karim Ben Salah"),
    ("Les militaires de l'Alliance Rivière-Nord ARN tiennent la ville.", "ARN", "Alliance Rivière-Nord"),
])
def test_an_acronym_the_text_declares_names_the_same_actor(text, acronym, name, mentions):
    by_text = {m.text: m for m in mentions(text)}
    assert acronym in by_text and by_text[acronym].name == by_text[name].name, by_text


def test_an_acronym_after_a_place_in_a_longer_name_is_not_the_places(mentions):
    ms = mentions("La Mission de l'Union africaine pour la stabilisation en Somalie (AUSSOM) a condamné l'attaque.")
    assert all(m.name != "Somalie" for m in ms if m.text == "AUSSOM"), [(m.text, m.name) for m in ms]


def test_a_code_name_is_a_group_not_a_place(mentions):
    found = {m.text: m.etype for m in mentions("Les rebelles du M23 contrôlent Goma, selon le G7.")}
    assert found.get("M23") == "Organization", found


def test_a_ministry_with_its_complement_is_an_actor(mentions):
    found = {m.text for m in mentions("Le Ministère de la Défense a confirmé la frappe.")}
    assert "Ministère de la Défense" in found, found


@pytest.mark.parametrize("text,equipment", [
    ("Les États-Unis ont livré des missiles Patriot à l'Ukraine.", "Patriot"),
    ("Berlin enverra des véhicules blindés Marder et Puma à Kiev.", "Puma"),
    ("La France a livré des systèmes de défense antiaérienne Crotale à l'Ukraine.", "Crotale"),
    ("La Russie a tiré le missile balistique « Orechnik » sur Dnipro.", "Orechnik"),
])
def test_equipment_is_not_an_actor(text, equipment, mentions):
    assert equipment not in {m.text for m in mentions(text)}


def test_a_name_the_document_called_equipment_is_not_an_actor_later_in_it(mentions):
    ms = mentions("Les États-Unis ont livré des missiles Patriot à l'Ukraine. Les Patriot protègent Kiev.")
    assert "Patriot" not in {m.text for m in ms}


def test_a_delivery_statement_names_the_equipment_it_delivers(relations):
    rs = [r for r in relations("Les États-Unis ont livré des missiles Patriot à l'Ukraine.")
          if r.predicate in ("funds", "supports")]
    assert rs and all(r.items == ("Patriot",) for r in rs), rs


@pytest.mark.parametrize("text,nickname,name", [
    ("La milice obéit à Ahmed Salim Kordo, dit « Le Faucon », selon l'ONU.", "Le Faucon", "Ahmed Salim Kordo"),
    ("Le chef rebelle Paul Kagoma, surnommé Lion, a été arrêté.", "Lion", "Paul Kagoma"),
    ("Faucon, de son vrai nom Ahmed Salim Kordo, dirige la milice.", "Faucon", "Ahmed Salim Kordo"),
    ("Ali KORDO (également connu sous le nom d’Ali Salim Kordo) est visé.", "Ali Salim Kordo", "Ali KORDO"),
])
def test_a_nickname_the_text_declares_names_the_same_person(text, nickname, name, mentions):
    by_text = {m.text: m for m in mentions(text)}
    assert nickname in by_text and by_text[nickname].name == by_text[name].name, \
        [(m.text, m.name) for m in by_text.values()]


def test_a_city_spelled_two_ways_is_one_city_with_its_geonames_id(mentions):
    ms = [m for t in ("Les combats continuent à Bakhmout.", "Les forces russes sont entrées à Bakhmut.")
          for m in mentions(t)]
    cities = [m for m in ms if m.text in ("Bakhmout", "Bakhmut")]
    assert len(cities) == 2 and all(m.etype == "City" for m in cities), [(m.text, m.etype) for m in ms]
    assert len(set(mention_keys(cities).values())) == 1


def test_a_person_named_like_a_city_stays_a_person(mentions):
    found = {m.text: m.etype for m in mentions("Florence Dupont a rencontré le ministre à Lyon.")}
    assert found.get("Florence Dupont") == "Person", found


def test_cities_tsv_lists_geonames_cities_with_their_ids():
    from kg.lexicon import cities
    c = cities()
    assert c["bakhmut"] == c["bakhmout"] and c["le caire"] == c["cairo"]


def test_a_geonames_city_is_the_same_as_its_geonames_page(tmp_path, nlp):
    from rdflib import OWL

    from kg.pipeline import build

    (tmp_path / "a.txt").write_text("Combats\n\nLes combats continuent à Bakhmout, selon Kiev.\n", encoding="utf-8")
    g = build([str(tmp_path / "a.txt")]).graph
    assert any(str(o) == "https://sws.geonames.org/713174/" for o in g.objects(None, OWL.sameAs)), \
        sorted(str(o) for o in g.objects(None, OWL.sameAs))


@pytest.mark.parametrize("text,acronym,name", [
    ("Les FSR (Forces de soutien rapide) ont attaqué la ville.", "FSR", "Forces de soutien rapide"),
    ("Le CNSP (Conseil national pour la sauvegarde de la patrie) a pris le pouvoir.", "CNSP",
     "Conseil national pour la sauvegarde de la patrie"),
])
def test_an_acronym_followed_by_its_expansion_names_the_whole_name(text, acronym, name, mentions):
    by_text = {m.text: m for m in mentions(text)}
    assert acronym in by_text and name in by_text and by_text[acronym].name == name, by_text


def test_a_lower_case_expansion_is_not_an_actor(mentions):
    assert {m.text for m in mentions("Le PIB (produit intérieur brut) a baissé en France.")} == {"France"}


def _m(name, etype, start, source="ner", gaz_id=None, doc="d"):
    from kg.records import Mention
    return Mention(doc_id=doc, start=start, end=start + len(name), text=name, name=name, etype=etype,
                   gaz_id=gaz_id, sentence="", source=source)


def test_one_name_in_one_document_is_one_actor_the_best_evidence_types_it():
    """"la ville de Soumy" then a "Soumy" the NER took for a person: one city."""
    from kg.extract.entities import one_actor_per_name
    city, person = _m("Soumy", "City", 10, "class|geo:692194"), _m("Soumy", "Person", 90)
    out = one_actor_per_name([city, person])
    assert city not in out and out[person].etype == "City" and out[person].source == "ner|geo:692194"


def test_the_commonest_reading_of_a_name_wins_when_only_the_ner_read_it():
    from kg.extract.entities import one_actor_per_name
    a, b, c = _m("Kivu Libre", "Organization", 1), _m("Kivu Libre", "Person", 30), _m("Kivu Libre", "Organization", 60)
    assert {m.etype for m in (one_actor_per_name([a, b, c]).get(m, m) for m in (a, b, c))} == {"Organization"}


def test_two_gazetteer_actors_sharing_a_name_stay_apart():
    from kg.extract.entities import one_actor_per_name
    a, b = _m("Congo", "Country", 1, "gazetteer", "cod"), _m("Congo", "Country", 40, "gazetteer", "cog")
    assert one_actor_per_name([a, b]) == {}


def test_a_lone_word_the_ner_called_a_place_is_the_surname_of_the_documents_one_full_name():
    from kg.extract.entities import one_actor_per_name
    full, alone = _m("Benjamin Netanyahu", "Person", 0), _m("Netanyahu", "Place", 80)
    assert one_actor_per_name([full, alone])[alone].etype == "Person"
    other = _m("Sara Netanyahu", "Person", 40)
    assert alone not in one_actor_per_name([full, other, alone])  # two full names: whose surname?


def test_the_first_words_of_one_longer_organisation_name_stand_for_it():
    from kg.extract.entities import one_actor_per_name
    whole = _m("Cour pénale internationale", "InternationalOrganization", 0, "gazetteer", "icc")
    short = _m("Cour", "Organization", 90)
    out = one_actor_per_name([whole, short])
    assert out[short].gaz_id == "icc" and out[short].name == "Cour pénale internationale"
    other = _m("Cour suprême", "Organization", 40)
    assert short not in one_actor_per_name([whole, other, short])  # which court?


@pytest.mark.parametrize("text, name", [
    ("Une aide militaire pour le PM Sarraj ou son rival.", "Sarraj"),
    ("La France a reçu MM. Sarraj et Haftar à Paris.", "Sarraj"),
])
def test_a_name_after_a_civil_title_is_a_person(text, name, mentions):
    assert (name, "Person") in _names(mentions(text))


def test_a_city_the_ner_once_calls_a_person_is_one_city_in_the_graph(tmp_path):
    from rdflib import RDF, RDFS

    from kg.pipeline import build

    (tmp_path / "a.txt").write_text(
        "Frappes\n\nDes frappes russes sur la ville de Soumy ont fait 34 morts.\n\n"
        "\"Terrible frappe de missile balistique russe sur Soumy\", a écrit le président.\n", encoding="utf-8")
    g = build([str(tmp_path / "a.txt")]).graph
    nodes = {s for s, o in g.subject_objects(RDFS.label) if str(o) == "Soumy" and (s, RDF.type, None) in g}
    assert len(nodes) == 1, nodes


@pytest.mark.parametrize("text, absent", [
    ("Ils ont signé l'Accord de coopération en matière de sécurité entre le Canada et la Pologne.",
     "Accord de coopération en matière de sécurité"),
    ("Le Canada impose des sanctions au titre de la Loi sur les mesures économiques spéciales (LMES).", "LMES"),
    ("Les menaces du président contre les Etats européens sont inacceptables.", "Etats européens"),
    ('Les obligations envers le groupe "sont en train d\'être remplies", a assuré le communiqué.',
     "sont en train d'être remplies"),
])
def test_texts_sets_of_states_and_clauses_are_not_actors(text, absent, mentions):
    assert absent not in {m.name for m in mentions(text)} | {m.text for m in mentions(text)}


def test_an_acronym_after_a_name_ending_with_a_place_names_the_whole_name(mentions):
    ms = mentions("Ankara voit les YPG comme une branche du Parti des travailleurs du Kurdistan (PKK), un groupe armé.")
    names = _names(ms)
    assert any(n == "Parti des travailleurs du Kurdistan" for n, _ in names), names
    assert not any(n == "Kurdistan" for n, _ in names), names


@pytest.mark.parametrize("text, name", [
    ("La marine patrouille en mer Méditerranée.", "mer Méditerranée"),
    ("Des navires croisent dans la région de la mer Rouge.", "mer Rouge"),
    ("Les combats ont eu lieu près du fleuve Niger.", "fleuve Niger"),
    ("Le pétrolier a franchi le détroit d'Ormuz.", "détroit d'Ormuz"),
])
def test_a_sea_or_a_river_keeps_its_noun_and_is_a_place(text, name, mentions):
    assert (name, "Place") in _names(mentions(text))
    assert ("Niger", "Country") not in _names(mentions(text))


@pytest.mark.parametrize("text, name, etype", [
    ("Le groupe sidérurgique Severstal est visé.", "Severstal", "Organization"),
    ("La société américaine Vexalia a été rachetée.", "Vexalia", "Company"),
])
def test_a_class_noun_and_an_adjective_before_a_name_type_it(text, name, etype, mentions):
    assert (name, etype) in _names(mentions(text))


@pytest.mark.parametrize("text, person, ministry", [
    ("Le ministre polonais de la Défense, Mariusz Kowal, a annoncé l'envoi de troupes.",
     "Mariusz Kowal", "ministère polonais de la Défense"),
    ("Selon le ministre de la Défense suédois Anders Lindqvist, la Suède enverra des chars.",
     "Anders Lindqvist", "ministère suédois de la Défense"),
    ("Le ministre estonien des Affaires étrangères Urmas Tamm a convoqué l'ambassadeur.",
     "Urmas Tamm", "ministère estonien des Affaires étrangères"),
    ("Ivan Petrov, ministre russe des Affaires étrangères, est arrivé.",
     "Ivan Petrov", "ministère russe des Affaires étrangères"),
])
def test_a_ministers_title_names_the_ministry_he_leads(text, person, ministry, triples, mentions):
    assert (ministry, "GovernmentOrganization") in _names(mentions(text))
    assert (person, "leads", ministry) in triples(text)


def test_a_minister_without_a_portfolio_names_no_ministry(triples, mentions):
    text = "Le ministre russe Ivan Petrov est arrivé à Paris."
    assert not any(m.etype == "GovernmentOrganization" for m in mentions(text))
    assert not any(p == "leads" for _, p, _ in triples(text))


def test_a_ministry_named_after_its_minister_and_by_name_is_one_actor(tmp_path):
    from kg.pipeline import build

    (tmp_path / "a.txt").write_text(
        "Expulsions\n\nLe ministre estonien des Affaires étrangères Urmas Tamm a convoqué l'ambassadeur.\n\n"
        "Le ministère estonien des Affaires étrangères a protesté.\n", encoding="utf-8")
    r = build([str(tmp_path / "a.txt")])
    ministries = [e for e in r.entities.values() if e.etype == "GovernmentOrganization"]
    assert [e.name for e in ministries] == ["ministère estonien des Affaires étrangères"]
    assert "ministre estonien des Affaires étrangères" not in ministries[0].aliases


def test_a_known_institution_is_found_in_lower_case_and_with_either_apostrophe(mentions):
    ms = mentions("Le département d’Etat américain a annoncé des sanctions.")
    assert any(m.gaz_id == "state_department" for m in ms), _names(ms)


@pytest.mark.parametrize("text, name", [
    ("Les rebelles approchent de la capitale de la province du Sud-Kivu.", "Sud-Kivu"),
    ("Les FSR doivent cesser leur offensive au Nord-Darfour.", "Nord-Darfour"),
])
def test_a_hyphenated_place_name_is_a_name(text, name, mentions):
    assert name in {m.name for m in mentions(text)}


def test_a_hyphenated_number_at_a_sentence_start_is_not_a_name(mentions):
    assert not mentions("Quarante-et-un soldats ont été tués dans l'attaque.")


def test_an_airports_name_ends_before_the_city_it_serves(mentions):
    names = _names(mentions("Des obus sont tombés près de l'aéroport international Kofi Adde de Mogadiscio."))
    assert ("Kofi Adde", "Place") in names, names
    names = _names(mentions("Les rebelles contrôlent l'aéroport de Kavala."))
    assert any(n == "Kavala" and t in ("Place", "City") for n, t in names), names


@pytest.mark.parametrize("text, body, parent", [
    ("Le Conseil d'administration du FMI a approuvé le prêt.", "Conseil d'administration du FMI",
     "Fonds monétaire international"),
    ("Il a rencontré la commission de l'Union africaine à Addis Abeba.", "commission de l'Union africaine",
     "Union africaine"),
    # the NER reads body and organisation as one name: the organisation is still the gazetteer's
    ("Le Comité militaire de l'OTAN a tenu sa session d'hiver.", "Comité militaire de l'OTAN", "OTAN"),
    # a state's institutions are part of the state
    ("La Banque centrale du Kenya a relevé son taux directeur.", "Banque centrale du Kenya", "Kenya"),
    ("Le Parlement de Géorgie a adopté la loi.", "Parlement de Géorgie", "Géorgie"),
])
def test_a_body_named_before_its_organisation_is_an_actor_part_of_it(text, body, parent, mentions, triples):
    assert body in {m.name for m in mentions(text)}
    assert (body, "partOf", parent) in triples(text)


def test_a_states_government_stands_for_the_state_not_a_body_of_it(mentions, triples):
    text = "Le gouvernement du Canada a annoncé une aide."
    assert {m.name for m in mentions(text)} == {"Canada"}
    assert triples(text) == set()


def test_a_word_like_direction_before_an_organisation_names_no_body(mentions):
    names = {m.name for m in mentions("Sous la direction de l'OTAN, les alliés ont voté.")}
    assert names == {"OTAN"}, names


def test_an_organisations_name_stops_before_its_seat(mentions):
    names = _names(mentions("L'Organisme général de la statistique au Caire a publié un rapport."))
    assert any(n == "Organisme général de la statistique" for n, _ in names), names
    assert any(n == "Caire" and t == "City" for n, t in names), names


def test_a_well_known_armed_group_is_found_in_lower_case(mentions):
    ms = mentions("La capitale a été prise par des rebelles houthis, soutenus par l'Iran.")
    assert any(m.gaz_id == "houthis" for m in ms), _names(ms)


def test_a_weak_name_stands_for_its_country_only_when_the_country_is_named(mentions):
    ms = mentions("L'Iran arme le mouvement. L'armée idéologique de la République islamique le soutient.")
    assert [m.gaz_id for m in ms if "République" in m.text] == ["iran"]
    ms = mentions("L'armée idéologique de la République islamique le soutient.")
    assert not any(m.gaz_id == "iran" for m in ms)


def test_a_name_after_soldiers_of_is_an_organisation(mentions):
    ms = mentions("Seuls les soldats des FARDK et les volontaires sont restés dans la ville.")
    assert ("FARDK", "Organization") in _names(ms), _names(ms)


@pytest.mark.parametrize("text, name", [
    ("Les hommes d'affaires Guennadi Voronov, cofondateur d'une société de négoce, sont visés.", "Guennadi Voronov"),
    ("Sont également visés Alicher Bekov, un homme d'affaires proche du président.", "Alicher Bekov"),
])
def test_a_person_noun_beside_a_name_makes_it_a_persons(text, name, mentions):
    assert (name, "Person") in _names(mentions(text)), _names(mentions(text))


def test_one_capitalised_word_after_a_person_noun_is_not_enough(mentions):
    assert not any(m.etype == "Person" for m in mentions("Le journaliste Libération a publié l'enquête."))
    assert not any(m.etype == "Person" for m in mentions("Selon le milliardaire Tesla, rien ne change."))


def test_an_acronym_the_document_declared_names_its_actor_where_the_ner_misses_it(mentions):
    ms = mentions("La guerre oppose les Forces armées soudanaises (FAS) aux Forces de soutien rapide (FSR). "
                  "De leur côté, le Tchad et le Niger arment les FAS.")
    later = [m for m in ms if m.text == "FAS" and "arment" in m.sentence]
    assert later and later[0].name == "armée soudanaise", [(m.text, m.name, m.sentence[:30]) for m in ms]


def _split_doc(nlp, words, pos, starts):
    from spacy.tokens import Doc
    spaces = [w not in ("«",) and i + 1 < len(words) and words[i + 1] not in (",", ".", "»") for i, w in enumerate(words)]
    return Doc(nlp.vocab, words=words, spaces=spaces, pos=pos, sent_starts=starts)


@pytest.mark.parametrize("words,pos,starts,sentences", [
    # a name the parser cut off from the words that introduce it: one sentence
    (["Il", "vise", "le", "groupe", "armé", "Wagner", "pour", "ses", "crimes", "."],
     ["PRON", "VERB", "DET", "NOUN", "ADJ", "PROPN", "ADP", "DET", "NOUN", "PUNCT"],
     [True, False, False, False, False, True, True, False, False, False], 1),
    # a break inside an open quote: one sentence
    (["L'", "association", "«", "Un", "toit", ",", "un", "repas", "»", "agit", "."],
     ["DET", "NOUN", "PUNCT", "DET", "NOUN", "PUNCT", "DET", "NOUN", "PUNCT", "VERB", "PUNCT"],
     [True, False, False, True, False, False, False, False, False, False, False], 1),
    # two real sentences stay two
    (["Il", "part", ".", "Wagner", "reste", "."],
     ["PRON", "VERB", "PUNCT", "PROPN", "VERB", "PUNCT"], [True, False, False, True, False, False], 2),
])
def test_sentences_the_parser_split_where_no_sentence_ends_are_joined(nlp, words, pos, starts, sentences):
    from kg.extract.entities import Segment
    assert len(Segment.of(_split_doc(nlp, words, pos, starts)).sents) == sentences


def test_an_acronym_the_ner_calls_a_place_but_no_gazetteer_knows_is_an_organisation(mentions):
    names = _names(mentions("Les FSR ont attaqué la ville."))
    assert ("FSR", "Organization") in names, names
    names = _names(mentions("Les FSR ont attaqué Kinshasa, capitale de la RDC."))
    assert any(n == "République démocratique du Congo" and t == "Country" for n, t in names), names


def test_a_demonstrative_joins_its_actor_and_names_nothing_else(nlp, lex):
    """"cette ville" is Kharkiv here: one actor with Kharkiv's identity, and "ville" becomes nobody's alias."""
    from kg.resolve import resolve
    from tests.conftest import _extract
    ms, rs = _extract("Les combats font rage à Kharkiv. Dans cette ville, il ne reste que des civils.", lex)
    assert any(m.source.startswith("demonstrative") and m.text == "ville" for m in ms)
    entities, _ = resolve(ms, rs, lex)
    assert [e.name for e in entities.values()] == ["Kharkiv"]
    ms2, rs2 = _extract("Un quartier de la Ville de Québec a été évacué.", lex)
    entities, _ = resolve(ms + ms2, rs + rs2, lex)
    assert not any("Québec" in e.name and "Kharkiv" in e.name for e in entities.values())
