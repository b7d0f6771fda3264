"""Actor mentions in a parsed segment: gazetteer, spaCy NER (corrected), and patterns.

spaCy's NER is a starting point, not the truth: "le Pentagone" comes out as a place,
"Tesla" as a person, "Accept Read More" as a name. Known actors come from the
gazetteer; unknown names keep NER's span and get their type from the words around
them (a class noun "le groupe X", a title "PDG de X"); lowercase actors such as
"l'armée russe" come from the national_actors rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token

from kg.lexicon import Lexicon, cities, coarse, feminine, inflect, norm
from kg.records import Mention

_NER_TYPES = {"PER": "Person", "LOC": "Place", "ORG": "Organization"}
_ORG_WORDS = {"group", "media", "groupe", "commandement", "conseil", "agence", "ministère", "armée",
              "forces", "organisation", "union", "parti", "banque", "fonds", "quartier", "comité",
              "army", "force", "navy", "corps", "command", "council", "agency", "inc", "inc.", "ltd",
              "corporation", "company", "compagnie", "société", "news", "press", "tv", "radio"}
_STRIP_LEAD = {"le", "la", "les", "l'", "l’", "du", "des", "de", "d'", "d’", "au", "aux", "à", "en",
               "par", "pour", "et", "selon", "avec", "contre", "sur", "dans", "un", "une"}
_BAD_CHARS = re.compile(r"[»«<>{}\[\]|@#=_*:;\"“”!?/\\]")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
_CODE = re.compile(r"^[A-Z][A-Z-]{0,3}\d{1,3}$")


@dataclass
class Segment:
    """One parsed segment and the strings the rules read of each token, read once: spaCy builds a new
    Token object at every ``doc[i]`` and looks its strings up at every attribute access."""

    doc: Doc
    text: str
    toks: list[Token]
    norms: list[str]
    lowers: list[str]
    lemmas: list[str]
    lemma_lows: list[str]
    sents: list[Span]
    sent_starts: list[int]
    sent_texts: list[str]  # each sentence's text, stripped
    matches: list[tuple[str, int, int]] | None = None  # gazetteer phrase matches, found on first use
    equipment: list[tuple[int, int, str]] | None = None  # equipment names (find_equipment), found on first use

    def span_text(self, s: int, e: int) -> str:
        """``doc[s:e].text``, without making the Span and its Tokens."""
        if e <= s:
            return ""
        last = self.toks[e - 1]
        return self.text[self.toks[s].idx:last.idx + len(last.text)]

    @classmethod
    def of(cls, sd: Doc, text: str | None = None) -> Segment:
        """``text`` is the text given to spaCy, if the caller has it (``Doc.text`` joins every token's)."""
        toks = list(sd)
        lemmas = [t.lemma_ for t in toks]
        sents = _join_fragments(sd, list(sd.sents))
        text = sd.text if text is None else text
        return cls(sd, text, toks, [norm(t.text) for t in toks], [t.lower_ for t in toks], lemmas,
                   [x.lower() for x in lemmas], sents, [x.start for x in sents],
                   [text[x.start_char:x.end_char].strip() for x in sents])


_CLOSING = {"»": "«", "”": "“", "’": "‘"}  # closing quote -> its opening one ('"' is both)


def _join_fragments(sd: Doc, sents: list[Span]) -> list[Span]:
    """Sentences the parser split where no sentence ends: inside a quoted name ("l'association « Un arbre, une
    vie »" cut after the opening quote), inside a name or its introduction ("le général Hennadii | Shapovalov",
    "au groupe paramilitaire russe | Wagner"), after a comma or before a lower-case word. A sentence that stops
    without final punctuation goes on into the next one then; quoted speech split after its own full stops,
    and lines (datelines, lists), stay split."""
    out: list[Span] = []
    for s in sents:
        prev = out[-1] if out else None
        if prev is not None and prev[-1].text not in (".", "!", "?", "…", ":", ";") and (
                _open_quote(prev) or _mid_sentence(prev[-1], s[0])):
            out[-1] = sd[prev.start:s.end]
        else:
            out.append(s)
    return out


def _mid_sentence(last: Token, first: Token) -> bool:
    """A break between ``last`` and ``first`` on one line that no sentence makes: before a name that the words
    before introduce ("au groupe paramilitaire russe | Wagner", "le général Hennadii | Shapovalov"), after a
    comma, or before a lower-case word."""
    if "\n" in last.whitespace_ or not first.is_alpha:
        return False
    return (first.pos_ == "PROPN" and (last.pos_ in ("ADJ", "NOUN") and last.is_lower or last.pos_ == "PROPN")) \
        or last.text == "," or first.is_lower


def _open_quote(span: Span) -> bool:
    """A quote opened in the span and not closed in it ("«" without "»", an odd number of '"')."""
    depth: dict[str, int] = {}
    for t in span:
        for ch in t.text:
            if ch == '"':
                depth['"'] = 1 - depth.get('"', 0)
            elif ch in "«“‘":
                depth[ch] = depth.get(ch, 0) + 1
            elif ch in _CLOSING:
                depth[_CLOSING[ch]] = max(0, depth.get(_CLOSING[ch], 0) - 1)
    return any(depth.values())


@dataclass
class Cand:
    """A candidate mention as a token span of one segment."""

    start: int  # token indices in the segment Doc
    end: int
    name: str
    etype: str
    gaz_id: str | None
    source: str
    key: str | None = None  # forced resolution key (national actors)
    alias_of: int | None = None  # index of the candidate this acronym names


@lru_cache(maxsize=4)
def _matcher(lex_id: int, lex: Lexicon, nlp_vocab) -> tuple[PhraseMatcher, dict, dict]:
    """One phrase matcher for gazetteer names and descriptions (built once per lexicon; one pass over
    each segment finds both), with what each match label stands for."""
    matcher = PhraseMatcher(nlp_vocab, attr="LOWER")
    name_info: dict[str, tuple[str, str, bool]] = {}
    desc_info: dict[str, list[str]] = {}
    from spacy.lang.fr import French

    tok = French().tokenizer
    for e in lex.gazetteer.entries.values():
        for surface, weak in [(e.name, False), *((n, False) for n in e.names), *((n, True) for n in e.weak)]:
            label = f"name|{e.id}|{'w' if weak else 's'}|{surface}"
            name_info[label] = (e.id, surface, weak)
            # both apostrophes: "département d'État" is also written "département d’État"
            matcher.add(label, [tok(v) for v in sorted({surface, surface.replace("'", "’"), surface.replace("’", "'")})])
        for d in e.descriptions:
            label = f"desc|{norm(d)}"
            desc_info.setdefault(label, []).append(e.id)
            matcher.add(label, [tok(d)])
    return matcher, name_info, desc_info


def _matches(seg: Segment, lex: Lexicon) -> list[tuple[str, int, int]]:
    """The segment's gazetteer matches (label, start, end), found once."""
    if seg.matches is None:
        matcher, _, _ = _matcher(id(lex), lex, seg.doc.vocab)
        strings = seg.doc.vocab.strings
        seg.matches = [(strings[m], s, e) for m, s, e in matcher(seg.doc)]
    return seg.matches


def _is_title_case(tok: Token) -> bool:
    return tok.text[:1].isupper()


def _institution(surface: str, lex: Lexicon) -> bool:
    """A name whose first word is a common noun ("Département d'État", "Ministère de la Défense"): French
    writes it in lower case as often as not, so the gazetteer takes it either way."""
    words = surface.split()
    return len(words) > 1 and norm(words[0]) in _generic_words(lex)


def _gazetteer(seg: Segment, lex: Lexicon) -> list[Cand]:
    _, info, _ = _matcher(id(lex), lex, seg.doc.vocab)
    out = []
    for label, s, e in _matches(seg, lex):
        if label not in info:
            continue
        gid, surface, weak = info[label]
        if _ACRONYM.match(surface) or len(surface) <= 3:
            if seg.span_text(s, e) != surface:  # "US" is a name, "us" is not
                continue
        elif surface[:1].isupper() and not _is_title_case(seg.toks[s]) and not _institution(surface, lex):
            continue
        entry = lex.gazetteer.entries[gid]
        out.append(Cand(s, e, entry.name, entry.type, gid, "gazetteer-weak" if weak else "gazetteer"))
    return out


def _demonyms(seg: Segment, lex: Lexicon, adj_index: dict[str, str]) -> list[Cand]:
    """Capitalised plural nationality nouns ("les Ukrainiens") name their country."""
    out = []
    for i, n in enumerate(seg.norms):
        if i > 0 and n in adj_index and n.endswith("s") and _is_title_case(seg.toks[i]) and seg.toks[i].text.endswith("s"):
            gid = adj_index[n]
            entry = lex.gazetteer.entries[gid]
            out.append(Cand(i, i + 1, entry.name, entry.type, gid, "demonym"))
    return out


def _country_after(seg: Segment, lex: Lexicon, i: int) -> tuple[str, int] | None:
    """A country with a nationality adjective named by "de" / "du" / "de la" / "d'" at token i: its id and the
    end of its name."""
    lowers = seg.lowers
    if i >= len(lowers) or lowers[i] not in ("de", "du", "d'", "d’"):
        return None
    j = i + 1
    if lowers[i] == "de" and j < len(lowers) and lowers[j] in ("la", "l'", "l’"):
        j += 1
    _, info, _ = _matcher(id(lex), lex, seg.doc.vocab)
    for label, s, e in _matches(seg, lex):
        if s == j and label in info and not info[label][2]:
            entry = lex.gazetteer.entries[info[label][0]]
            if entry.type == "Country" and entry.adjectives:
                return entry.id, e
    return None


def _national_actors(seg: Segment, lex: Lexicon, adj_index: dict[str, str]) -> list[Cand]:
    """Lowercase actors: head noun + nationality adjective ("l'armée russe", "forces armées ukrainiennes")."""
    out = []
    by_first = _heads_by_first_word(lex)
    toks = seg.toks
    for i, low in enumerate(seg.lowers):
        heads = by_first.get(low)
        if not heads:
            continue
        t = toks[i]
        for head in heads:
            words = _head_words(head)
            span = toks[t.i:t.i + len(words)]
            if len(span) < len(words) or [w.lower_ for w in span] != words:
                continue
            adj_i = t.i + len(words)
            office = lex.rules.office_titles.get(head)  # "le ministre polonais de la Défense": the ministry
            etype = lex.rules.national_actors[office or head]
            source = "role" if office else "pattern"
            after = _complement_end(toks, adj_i, adj_index) if etype == "GovernmentOrganization" else adj_i
            if adj_i < len(toks) and norm(toks[adj_i].text) in adj_index:
                gid = adj_index[norm(toks[adj_i].text)]
                end = adj_i + 1
            elif after > adj_i and after < len(toks) and norm(toks[after].text) in adj_index:
                # "le ministère des Affaires étrangères estonien" is "le ministère estonien des Affaires étrangères"
                gid = adj_index[norm(toks[after].text)]
                adj = lex.gazetteer.entries[gid].adjectives[0]
                name = " ".join([office or head, adj] + [w.text for w in toks[adj_i:after]])
                out.append(_national(lex, t.i, after + 1, name, etype, f"org:{norm(name)}", source))
                break
            elif etype != "GovernmentOrganization" and (of := _country_after(seg, lex, adj_i)) is not None:
                gid, end = of  # "l'armée du Mali", "les forces terrestres de la Lettonie"
                adj_i = end - 1
            else:
                continue
            adj = lex.gazetteer.entries[gid].adjectives[0]
            if etype == "GovernmentOrganization":  # ministère russe de la Défense
                portfolio = _complement_end(toks, end, adj_index)
                if office and portfolio == end:
                    continue  # "le ministre russe": which ministry?
                end = portfolio
                name = " ".join([office or head, adj] + [w.text for w in toks[adj_i + 1:end]])
                key = f"org:{norm(name)}"
            else:
                army = head in lex.rules.army_nouns
                forms = inflect(adj)  # masculine, feminine, then their plurals (or one form and its plural)
                plural = not army and head.split()[-1].endswith("s")
                form = (forms[-1] if plural else feminine(adj)) if len(forms) > 2 else forms[-1 if plural else 0]
                name = f"{'armée' if army else head} {form}"
                key = f"army:{gid}" if army else f"org:{norm(name)}"
            out.append(_national(lex, t.i, end, name, etype, key, source))
            break
    return out


def _complement_end(toks: list[Token], j: int, adjectives: dict[str, str]) -> int:
    """The end of a ministry's complement starting at token j ("de la Défense", "des Affaires étrangères"),
    or j if there is none; a nationality adjective ends it ("des Affaires étrangères | estonien"), and so does
    a person's name ("le ministre estonien des Affaires étrangères | Urmas Reinsalu")."""
    if j >= len(toks) or toks[j].lower_ not in ("de", "des", "du"):
        return j
    k = j + 1
    if k < len(toks) and toks[k].lower_ in ("la", "l'", "l’"):
        k += 1
    start = k
    while k < len(toks) and toks[k].pos_ in ("NOUN", "PROPN", "ADJ") and toks[k].is_alpha and toks[k].ent_type_ != "PER" \
            and (k == start or toks[k].text[:1].isupper() or toks[k].pos_ == "ADJ") \
            and not (k > start and norm(toks[k].text) in adjectives):
        k += 1
    return k if k > start else j


def _national(lex: Lexicon, s: int, e: int, name: str, etype: str, key: str, source: str = "pattern") -> Cand:
    """A national actor's candidate: the gazetteer's entry if it knows the name ("les forces russes" is
    "armée russe"), else the pattern's name and key. A minister's title ("role") stands for the ministry."""
    known = _name_index(lex).get(norm(name))
    if known:
        entry = lex.gazetteer.entries[known]
        return Cand(s, e, entry.name, entry.type, known, source)
    return Cand(s, e, name, etype, None, source, key=key)


def _clean_ner(ent: Span, seg: Segment, lex: Lexicon) -> tuple[int, int] | None:
    """Trim articles, prepositions and titles off an NER span; None if nothing name-like is left."""
    s, e = ent.start, ent.end
    toks, lowers, norms = seg.toks, seg.lowers, seg.norms
    while s < e and (lowers[s] in _STRIP_LEAD or norms[s] in lex.rules.ranks or norms[s] in lex.rules.honorifics
                     or norms[s] in lex.rules.titles or toks[s].is_punct):
        s += 1
    while e > s and (toks[e - 1].is_punct or lowers[e - 1] in _STRIP_LEAD):
        e -= 1
    if s >= e:
        return None
    span = toks[s:e]
    if not _is_title_case(span[0]) and not span[0].is_digit:
        return None
    if _BAD_CHARS.search(seg.span_text(s, e)) or any(t.pos_ in ("VERB", "AUX") and not _is_title_case(t) for t in span):
        return None
    if not any(t.is_alpha or _CODE.match(t.text) or "-" in t.text and t.text.rsplit("-", 1)[1][:1].isupper() for t in span):
        return None  # "M23", "G7", "Sud-Kivu" are names; "2024", "X.", "Quarante-et-un" are not
    return s, e


def _extend_right(toks: list[Token], s: int, e: int, hyphens_only: bool = False) -> int:
    """Extend a name over following capitalised words ("Resolute" -> "Resolute Support", "RIA" -> "RIA FAN"),
    and over adjectives when a capitalised word follows them ("Commandement" -> "Commandement allié Opérations")."""
    sent_end = len(toks)
    while e < sent_end:
        t = toks[e]
        if not hyphens_only and t.is_alpha and _is_title_case(t) and t.pos_ in ("PROPN", "X", "NOUN"):
            e += 1
            continue
        if t.text == "-" and e + 1 < sent_end and not toks[e - 1].whitespace_ and not t.whitespace_ \
                and _is_title_case(toks[e + 1]):
            e += 2  # "Alliance Fleuve" + "-Congo"
            continue
        if hyphens_only:
            break
        j = e
        while j < sent_end and toks[j].pos_ == "ADJ" and toks[j].is_lower and s <= toks[j].head.i < j:
            j += 1
        if j > e and j < sent_end and toks[j].is_alpha and _is_title_case(toks[j]) and toks[j].pos_ in ("PROPN", "X", "NOUN"):
            e = j
            continue
        break
    return e


def _class_noun_before(toks: list[Token], s: int, e: int, lex: Lexicon) -> str | None:
    """Type given by a class noun just before a name it governs: "le groupe X", "la ville de X"
    (but not "le général d'armée X", where the name depends on "général")."""
    j = s - 1
    if j >= 0 and toks[j].lower_ in ("de", "d'", "d’"):
        j -= 1
    if j < 0:
        return None
    cls = lex.rules.class_nouns.get(toks[j].lower_) or lex.rules.class_nouns.get(toks[j].lemma_.lower())
    if cls is None:
        return None
    linked = any(t.head.i == j for t in toks[s:e]) or toks[j].head.i in range(s, e)
    return cls if linked else None


def _person_noun_beside(seg: Segment, s: int, e: int, lex: Lexicon) -> bool:
    """Whether a person noun stands in apposition right after the name ("X, un homme d'affaires") or right
    before it ("l'oligarque X")."""
    toks, markers = seg.toks, lex.rules.person_nouns
    if e + 2 < len(toks) and toks[e].text == "," and toks[e + 1].pos_ == "DET" and _marker_at(seg, e + 2, markers):
        return True
    return any(s - len(words) >= 0 and _marker_at(seg, s - len(words), (words,)) == s for words in markers)


def _named_by_person_noun(seg: Segment, lex: Lexicon) -> list[Cand]:
    """A run of capitalised words right after a person noun ("les hommes d'affaires Gennady X") is a person's
    name, found even when the NER missed it."""
    toks, out, n = seg.toks, [], len(seg.toks)
    for i in range(n):
        j = _marker_at(seg, i, lex.rules.person_nouns) if seg.norms[i] in _person_noun_firsts(lex) else None
        if j is None:
            continue
        k = j
        while k < n and k - j < 4 and _name_start(toks[k]) and toks[k].is_alpha and (k == j or toks[k].ent_iob_ != "B"):
            k += 1
        if k - j >= 2:  # a given name and a surname: one capitalised word could be anything
            out.append(Cand(j, k, seg.span_text(j, k), "Person", None, "class"))
    return out


@lru_cache(maxsize=4)
def _person_noun_firsts(lex: Lexicon) -> frozenset[str]:
    return frozenset(words[0] for words in lex.rules.person_nouns)


def _after_group_noun(toks: list[Token], s: int, lex: Lexicon) -> bool:
    """Whether a name follows a group noun and "de" ("les soldats des X", "les combattants du X"): the
    group noun stands for the actor it names, so the name is an organisation's."""
    j = s - 1
    while j >= 0 and toks[j].pos_ == "DET":
        j -= 1
    if j < 1 or toks[j].lower_ not in ("de", "du", "des", "d'", "d’"):
        return False
    return toks[j - 1].lower_ in lex.rules.group_nouns


def _title_object_type(toks: list[Token], s: int, lex: Lexicon) -> str | None:
    """A name right after "PDG de" / "président de" is the organisation or country led."""
    j = s - 1
    if j >= 1 and toks[j].lower_ in ("de", "du", "d'", "d’"):
        if norm(toks[j - 1].text) in lex.rules.titles:
            return "Organization"
    return None


@lru_cache(maxsize=4)
def _role_words(lex: Lexicon) -> frozenset[str]:
    """Words naming a role in an organisation: the titles' first words, and the role nouns."""
    return frozenset(t.split()[0] for t in lex.rules.titles) | lex.rules.role_nouns


def _glued_person(seg: Segment, lex: Lexicon, s: int, e: int) -> int | None:
    """Where a person's name glued to an organisation's in one NER span starts: "le chef de l'Otan Mark
    Rutte", "le secrétaire au Trésor Scott Bessent", "le chef du Hezbollah Hassan Nasrallah". The span ends
    in two capitalised proper nouns and either its start is a known name or a role noun governs it."""
    toks = seg.toks
    if e - s < 3 or not all(toks[k].is_alpha and _is_title_case(toks[k]) and toks[k].pos_ == "PROPN"
                            for k in (e - 2, e - 1)):
        return None
    if any(ms == s and me == e - 2 and label.startswith("name|") for label, ms, me in _matches(seg, lex)):
        return e - 2
    j = s - 1
    while j >= 0 and seg.lowers[j] in ("l'", "l’", "la", "le", "les"):
        j -= 1
    if j >= 1 and seg.lowers[j] in ("de", "du", "des", "d'", "d’", "au", "aux") \
            and seg.norms[j - 1] in _role_words(lex):
        return e - 2
    return None


def _seat(seg: Segment, lex: Lexicon, s: int, e: int) -> int | None:
    """Where an organisation's name the NER ran on into its seat ends: "l'Organisme général de
    l'information | au Caire" (the token "à/au/en" before the known place closing the span), or None."""
    for p in range(e - 2, s + 1, -1):
        if seg.lowers[p] in ("à", "au", "en") and _known_place(seg, lex, p + 1) and seg.toks[p + 1:e] \
                and all(_is_title_case(t) or t.is_punct for t in seg.toks[p + 1:e]):
            return p
    return None


def _ner(seg: Segment, lex: Lexicon) -> list[Cand]:
    out = []
    toks = seg.toks
    spans = []
    for ent in seg.doc.ents:
        if ent.label_ not in ("PER", "LOC", "ORG", "MISC"):
            continue
        bounds = _clean_ner(ent, seg, lex)
        if bounds is None:
            continue
        s, e = bounds
        e = _extend_right(toks, s, e, hyphens_only=ent.label_ not in ("ORG", "MISC"))
        cut = _glued_person(seg, lex, s, e)
        at = _seat(seg, lex, s, e) if ent.label_ == "ORG" else None
        if cut is not None:
            spans += [(s, cut, "ORG"), (cut, e, "PER")]
        elif at is not None:
            spans += [(s, at, "ORG"), (at + 1, e, "LOC")]
        else:
            spans.append((s, e, ent.label_))
    for s, e, label in spans:
        span, text = toks[s:e], seg.span_text(s, e)
        etype = _NER_TYPES.get(label)
        cls = _class_noun_before(toks, s, e, lex)
        if cls:
            etype = cls
        elif _title_object_type(toks, s, lex) and etype == "Person":
            etype = "Organization"
        if s > 0 and seg.norms[s - 1] in lex.rules.honorifics and not cls:
            etype = "Person"  # "M. Saar", "le PM Sarraj"
        if etype is None and _after_group_noun(toks, s, lex):
            etype = "Organization"  # "les soldats des FARDC": the NER's MISC is the soldiers' organisation
        if etype is None and _person_noun_beside(seg, s, e, lex):
            etype = "Person"  # "Alisher X, un homme d'affaires": the NER's MISC is a person
        if etype is None:
            continue  # MISC without a class noun: an event, a law, a disease, not an actor
        head_cls = lex.rules.class_nouns.get(span[0].lower_)
        if head_cls and label in ("ORG", "LOC"):
            etype = head_cls
        words = {t.lower_ for t in span}
        if etype != "Organization" and coarse(etype) != "Organization" and words & _ORG_WORDS:
            etype = "Organization"
        if etype in ("Person", "Place") and len(span) == 1 and (_ACRONYM.match(text) and etype == "Person"
                                                              or _CODE.match(text)):
            etype = "Organization"  # "M23", "G7": a code names a group, not a place
        elif etype == "Place" and len(span) == 1 and _ACRONYM.match(text) and norm(text) not in cities():
            etype = "Organization"  # "les FSR": an acronym no gazetteer knows as a place is a group's
        if etype == "Person" and len(span) == 1 and span[0].pos_ not in ("PROPN", "NOUN", "X"):
            continue
        if _not_a_name(span, lex):
            continue
        out.append(Cand(s, e, text, etype, None, "ner"))
    return out


_QUOTES = {"«": "»", '"': '"', "“": "”"}
_NAME_GLUE = {"de", "du", "des", "d'", "d’", "la", "l'", "l’", "les", "pour", "et", "en", "sur", "contre"}
_PLACE_CLASSES = {"City", "Country", "Region", "Place"}
_MAX_NAME = 10  # tokens


def _breaks(toks: list[Token], k: int) -> bool:
    """Whether a sentence really starts at token k: the parser also starts sentences inside unusual names
    ("le quotidien Shibao | Ribao"), where no punctuation ends the one before."""
    return toks[k].is_sent_start and (k == 0 or toks[k - 1].is_space or toks[k - 1].text[-1:] in ".!?…:;»\"")


def _name_start(t: Token) -> bool:
    return t.text[:1].isupper() and any(ch.isalnum() for ch in t.text)


def _known_place(seg: Segment, lex: Lexicon, i: int) -> bool:
    """Whether a known place (gazetteer, GeoNames city) starts at token i: "l'aéroport Aden Adde | de
    Mogadiscio" ends the airport's name there."""
    if norm(seg.toks[i].text) in cities():
        return True
    _, info, _ = _matcher(id(lex), lex, seg.doc.vocab)
    return any(s == i and label in info and coarse(lex.gazetteer.entries[info[label][0]].type) == "Place"
               for label, s, _ in _matches(seg, lex))


def _named_by_class_noun(seg: Segment, lex: Lexicon) -> list[Cand]:
    """Names a class noun introduces, typed by it: "l'ONG Social Aid", "le quotidien Ziyou Shibao",
    "l'association « Aide pour tous »", "une association dénommée « X »", "la ville de X", and a quoted name
    whose own first word is a class noun ("le « Mouvement de lutte pour X »"). The NER misses or cuts such
    names when their words are common ones; the class noun says both where the name is and what it names.

    An unquoted name is a run of capitalised words (lower-case joining words only between two of them),
    ending where the NER starts another name, so "le groupe Wagner Evgueni Prigojine" gives "Wagner"."""
    toks, lowers, out = seg.toks, seg.lowers, []
    classes, naming = lex.rules.class_nouns, lex.rules.naming_words
    n = len(toks)
    for i, t in enumerate(toks):
        cls = classes.get(lowers[i]) or classes.get(seg.lemma_lows[i])
        if cls is None:
            continue
        j = i + 1
        while j < n and j - i <= 2 and toks[j].pos_ == "ADJ" and toks[j].is_lower and j + 1 < n \
                and (_quoted(toks, j + 1, n) is not None or _name_start(toks[j + 1]) or toks[j + 1].pos_ == "ADJ"):
            j += 1  # "la société locale « Xpeng »", "le groupe sidérurgique Severstal"
        if t.text[:1].isupper() and not _ACRONYM.match(t.text):
            q = _quoted(toks, i - 1, n) if i > 0 else None
            if q is not None and q[0] == i:  # "« Mouvement de lutte… »": a quoted name starting with a class noun
                if not _BAD_CHARS.search(seg.span_text(*q)):
                    out.append(Cand(q[0], q[1], seg.span_text(*q), cls, None, "class"))
                continue
            if _quoted(toks, j, n) is None:  # "l'Association « Espoir »" goes on below
                continue
        if j < n and (lowers[j] in naming or seg.lemma_lows[j] in naming):
            j += 1
        elif cls in _PLACE_CLASSES and j + 1 < n and lowers[j] in ("de", "d'", "d’") and _name_start(toks[j + 1]):
            j += 1
        if j >= n or _breaks(toks, j):
            continue

        def linked(a: int, b: int) -> bool:
            """Whether an unquoted name hangs on the class noun: in "le général d'armée John Allen" it does
            not (a quoted name right after the noun needs no such proof)."""
            return any(i <= toks[x].head.i < j for x in range(a, b)) or a <= t.head.i < b
        q = _quoted(toks, j, n)
        if q is not None:
            # a quoted name may start in lower case after an organisation's class noun ("l'association
            # « protégeons l'environnement »"), not after a place's
            if (_name_start(toks[q[0]]) or coarse(cls) == "Organization" and toks[q[0]].pos_ != "AUX") \
                    and not _BAD_CHARS.search(seg.span_text(*q)):
                out.append(Cand(q[0], q[1], seg.span_text(*q), cls, None, "class"))
            continue
        if toks[j].text in _QUOTES:
            continue
        k = last = j
        while k < n and k - j < _MAX_NAME and not (k > j and _breaks(toks, k)):
            if _name_start(toks[k]) and not toks[k].is_punct and (k == j or toks[k].ent_iob_ != "B"):
                k = last = k + 1
            elif k > j and lowers[k] in _NAME_GLUE and k + 1 < n and _name_start(toks[k + 1]) \
                    and toks[k + 1].ent_iob_ != "B" and not (cls in _PLACE_CLASSES and _known_place(seg, lex, k + 1)):
                k += 1
            else:
                break
        known = [me for label, ms, me in _matches(seg, lex) if ms == j and me < last and label.startswith("name|")]
        if known:  # "le groupe Wagner Evgueni Prigojine": the known name ends the run
            last = max(known)
        # after class noun and adjective the name is the noun's even when the parse loses it ("le groupe
        # sidérurgique Severstal"), unless the NER reads a person there
        if last > j and (linked(j, last) or j > i + 1 and toks[j].ent_type_ != "PER") \
                and not _BAD_CHARS.search(seg.span_text(j, last)) \
                and not _not_a_name(toks[j:last], lex):
            out.append(Cand(j, last, seg.span_text(j, last), cls, None, "class"))
    return out


_PAIRED = {("‘", "’"): ("’", "’"), ("‘", "‘"): ("’", "’"), ("'", "'"): ("'", "'")}


def _quoted(toks: list[Token], q: int, n: int) -> tuple[int, int] | None:
    """The name between quotes opening at token q ("« X »", '"X"', "“X”", "‘’X’’"), spaces trimmed:
    (start, end) tokens, or None."""
    if q < 0 or q >= n:
        return None
    pair = (toks[q].text, toks[q + 1].text) if q + 1 < n else None
    if pair in _PAIRED:
        close, start = _PAIRED[pair], q + 2
    elif toks[q].text in _QUOTES:
        close, start = (_QUOTES[toks[q].text],), q + 1
    else:
        return None
    while start < n and toks[start].is_space:
        start += 1
    for k in range(start, min(n, start + _MAX_NAME + 2)):
        if tuple(x.text for x in toks[k:k + len(close)]) == close or (len(close) == 2 and toks[k].text == "".join(close)):
            end = k
            while end > start and toks[end - 1].is_space:
                end -= 1
            return (start, end) if end > start else None
        if _breaks(toks, k) and k > start or (toks[k].text in _QUOTES.values() and len(close) == 1):
            return None
    return None


@lru_cache(maxsize=4)
def _generic_words(lex: Lexicon) -> frozenset[str]:
    r = lex.rules
    words = set(r.generic_words) | {norm(w) for w in r.class_nouns} | set(r.state_nouns) \
        | {norm(w) for w in r.group_nouns} | {norm(w) for w in r.org_parts} \
        | {norm(w) for h in r.national_actors for w in h.split()}
    return frozenset(words)


def _generic(span, lex: Lexicon) -> bool:
    """A span of words that name no one alone ("Groupe", "Grand Quartier", "Forces armées"). A complement
    makes a name of them: "Ministère de la Défense" is one."""
    words = _generic_words(lex)
    if len(span) > 1 and any(t.pos_ in ("ADP", "DET") for t in span):
        return False
    return all(norm(t.text) in words or norm(t.text).rstrip("sx") in words for t in span if not t.is_punct)


def _not_a_name(span, lex: Lexicon) -> bool:
    """A span the NER took for a name that is not one: a compass point ("l'Est", "le Sud", "l'Est du
    Liban"), a singular nationality adjective ("le Norvégien Jens Stoltenberg"; plural "les Russes" names the
    country), a verb or participle capitalised at a sentence start ("Renforcer", "Transportée"), a single
    letter, only words that name no one alone ("le Quartier", "Forces armées"), a text ("l'Accord de
    coopération…", "la Loi sur…") or a plural of states ("les Etats européens")."""
    if _generic(span, lex) or norm(span[0].text) in lex.rules.document_nouns:
        return True
    if len(span) > 1 and norm(span[0].text).rstrip("sx") in lex.rules.state_nouns and "Plur" in span[0].morph.get(
            "Number") and all(t.is_lower and t.pos_ == "ADJ" for t in span[1:]):
        return True  # "les Etats européens": states, not one actor
    if len(span) > 1 and norm(span[0].text) in lex.rules.compass_words and \
            (span[1].lower_ in ("du", "de", "d'", "d’", "des") or span[1].pos_ == "ADJ" and span[1].is_lower):
        return True
    if len(span) != 1:
        return False
    t = span[0]
    low = norm(t.text)
    if len(low) < 2 or low in lex.rules.compass_words:
        return True
    if low in _adjectives(lex) and not low.endswith(("s", "x")):
        return True
    return t.pos_ in ("VERB", "AUX") or "Part" in t.morph.get("VerbForm") or "Inf" in t.morph.get("VerbForm")


def _overlaps(a: Cand, b: Cand) -> bool:
    return a.start < b.end and b.start < a.end


def _select(cands: list[Cand], seg: Segment | None = None) -> list[Cand]:
    """Non-overlapping candidates: longer spans first, gazetteer before NER on ties. Two person names the
    NER found side by side ("Mohamed" + "Hamdan Daglo") are one name."""
    prio = {"gazetteer": 0, "pattern": 1, "role": 1, "part": 1, "demonym": 2, "class": 3, "gazetteer-weak": 4, "ner": 5}
    chosen: list[Cand] = []
    for c in sorted(cands, key=lambda c: (-(c.end - c.start), prio[c.source], c.start)):
        if not any(_overlaps(c, o) for o in chosen):
            chosen.append(c)
    chosen.sort(key=lambda c: c.start)
    if seg is None:
        return chosen
    out: list[Cand] = []
    for c in chosen:
        prev = out[-1] if out else None
        if prev is not None and prev.end == c.start and prev.source == c.source == "ner" \
                and prev.etype == c.etype == "Person" and seg.toks[prev.end - 1].whitespace_:
            out[-1] = replace(prev, end=c.end, name=seg.span_text(prev.start, c.end))
        else:
            out.append(c)
    return out


_OF = re.compile(r"^(?:de la |de l'|du |des |de |d')")


def _state_of(text: str, lex: Lexicon, name_index: dict[str, str]) -> str | None:
    """The country a state noun names: "République d'Estonie" by its name, "État russe" by its adjective."""
    head, _, rest = text.partition(" ")
    if head not in lex.rules.state_nouns or not rest:
        return None
    gid = name_index.get(_OF.sub("", rest)) or (_adjectives(lex).get(rest) if not _OF.match(rest) else None)
    return gid if gid and lex.gazetteer.entries[gid].type == "Country" else None


def _relabel_known(c: Cand, seg: Segment, lex: Lexicon, name_index: dict[str, str]) -> Cand:
    """An NER span whose text is a gazetteer name, or a state noun with a country's name or adjective
    ("la République d'Estonie", "l'État russe"), becomes that entry."""
    if c.source not in ("ner", "class"):
        return c
    text = norm(seg.span_text(c.start, c.end))
    gid = name_index.get(text) or _state_of(text, lex, name_index)
    if gid:
        entry = lex.gazetteer.entries[gid]
        return replace(c, name=entry.name, etype=entry.type, gaz_id=gid, source="gazetteer")
    return c


def _initials(words: list[str]) -> str:
    """"Alliance Fleuve-Congo" -> "AFC": the capitals starting each word and each hyphenated part."""
    return "".join(p[0] for w in words for p in w.split("-") if p[:1].isupper())


def _glued_acronyms(seg: Segment, chosen: list[Cand]) -> list[Cand]:
    """"l'Alliance Fleuve-Congo AFC": a name the NER ends with its own acronym (the initials of the words
    before it) is the name, and the acronym an alias of it."""
    out = []
    starts = {c.start for c in chosen}
    for c in chosen:
        nxt = seg.toks[c.end] if c.end < len(seg.toks) and c.end not in starts else None
        if nxt is not None and c.source in ("ner", "class") and c.end - c.start >= 2 and _ACRONYM.match(nxt.text) \
                and _initials([t.text for t in seg.toks[c.start:c.end]]) == nxt.text:
            out += [c, Cand(c.end, c.end + 1, c.name, c.etype, c.gaz_id, "acronym", key=c.key, alias_of=c.start)]
            continue
        last = seg.toks[c.end - 1] if c.end - c.start >= 3 else None
        if last is None or c.source not in ("ner", "class") or not _ACRONYM.match(last.text) or \
                _initials([t.text for t in seg.toks[c.start:c.end - 1]]) != last.text:
            out.append(c)
            continue
        name = seg.span_text(c.start, c.end - 1)
        host = replace(c, end=c.end - 1, name=name)
        out += [host, Cand(c.end - 1, c.end, name, c.etype, c.gaz_id, "acronym", key=c.key, alias_of=c.start)]
    return out


_FUNCTION_WORDS = {"de", "du", "des", "d'", "d’", "la", "le", "les", "l'", "l’", "pour", "et", "en", "au", "aux",
                   "à", "sur"}


def _loose_initials(words: list[str]) -> str:
    """"Forces de soutien rapide" -> "FSR": the first letters of the words that are not function words."""
    return "".join(p[0] for w in words if w.lower() not in _FUNCTION_WORDS for p in w.split("-") if p).upper()


def _expanded_acronyms(seg: Segment, chosen: list[Cand]) -> list[Cand]:
    """"les FSR (Forces de soutien rapide)": an acronym followed by its expansion in parentheses names the
    organisation the expansion names; the expansion is the name, spanning the parentheses' content."""
    toks, out = seg.toks, list(chosen)
    for i in range(len(toks) - 3):
        if seg.lowers[i + 1] != "(" or not _ACRONYM.match(toks[i].text):
            continue
        close = next((k for k in range(i + 3, min(len(toks), i + 16)) if toks[k].text == ")"), None)
        if close is None or _loose_initials([t.text for t in toks[i + 2:close]]) != toks[i].text \
                or not _name_start(toks[i + 2]):
            continue
        inside = [c for c in out if i + 2 <= c.start and c.end <= close]
        kind = next((c.etype for c in inside if coarse(c.etype) == "Organization"), "Organization")
        name = seg.span_text(i + 2, close)
        host = Cand(i + 2, close, name, kind, None, "class")
        out = [c for c in out if not (c.start == i or (i + 2 <= c.start < close))]
        out += [host, Cand(i, i + 1, name, kind, None, "acronym", alias_of=i + 2)]
    return sorted(out, key=lambda c: c.start)


def _parenthesised(toks: list[Token], i: int) -> int | None:
    """The index of the acronym in "(SIGLE)" or "(« SIGLE »)" opening at token i, if there is one."""
    if toks[i].text != "(":
        return None
    if i + 2 < len(toks) and toks[i + 2].text == ")" and _ACRONYM.match(toks[i + 1].text):
        return i + 1
    if i + 4 < len(toks) and toks[i + 1].text in _QUOTES and toks[i + 3].text == _QUOTES[toks[i + 1].text] \
            and toks[i + 4].text == ")" and _ACRONYM.match(toks[i + 2].text):
        return i + 2
    return None


def _city(c: Cand) -> Cand:
    """A place the NER found whose name is a GeoNames city's (kg.lexicon.cities) is that city: typed City,
    and resolved by its GeoNames id, so "Bakhmout" and "Bakhmut" are one actor."""
    if c.source not in ("ner", "class") or c.etype not in ("Place", "City") or c.key is not None:
        return c
    gid = cities().get(norm(c.name))
    return replace(c, etype="City", key=f"geo:{gid}") if gid is not None else c


def _skip_function_words(toks: list[Token], x: int, end: int) -> int:
    while x < end and toks[x].pos_ in ("DET", "ADP"):
        x += 1
    return x


def _acronyms(seg: Segment, chosen: list[Cand], lex: Lexicon) -> list[Cand]:
    """"Nom complet (SIGLE)": the acronym names the same organisation or country ("les Émirats arabes unis
    (EAU)"), or person when quoted as a nickname ("Mohammed Ben Zayed (« MBZ »)"); the full name spans the
    phrase."""
    toks = seg.toks
    chosen = _expanded_acronyms(seg, _glued_acronyms(seg, chosen))
    by_end = {c.end: c for c in chosen}
    out = list(chosen)
    for i in [k for k, low in enumerate(seg.lowers) if low == "("]:
        t = toks[i]
        a = _parenthesised(toks, i)
        if a is None:
            continue
        acr = toks[a]
        quoted = a == i + 2
        host = by_end.get(i)
        if host is not None and coarse(host.etype) == "Place" and norm(host.name)[:1] != norm(acr.text)[:1]:
            host = None  # "du Parti des travailleurs du Kurdistan (PKK)": the place ends a longer name
        if host is None:
            # the phrase ending before "(" may start with a name: "Grand quartier général ... en Europe (SHAPE)"
            head = toks[i - 1] if i > 0 else None
            while head is not None and head.head.i != head.i and head.head.right_edge.i == i - 1:
                head = head.head
            if head is None:
                continue
            lefts = [head.left_edge.i] + ([t.head.left_edge.i] if t.head.i < i else [])  # what "(" hangs on
            lefts += [e.start for e in seg.doc.ents if e.end == i]
            lefts = [_skip_function_words(toks, x, i) for x in lefts]
            if any(norm(toks[x].text) in lex.rules.document_nouns for x in lefts):
                out = [c for c in out if c.start != a]  # "la Loi sur … (LMES)": a law's acronym
                continue
            host = next((c for x in lefts for c in out if c.start == x and coarse(c.etype) == "Organization"),
                        None)
            if host is None:
                continue
            out = [c for c in out if not (host.start <= c.start and c.end <= i) or c is host]
            host.end = i
            host.name = seg.span_text(host.start, i)
        kind = coarse(host.etype)
        if kind not in ("Organization", "Place") and not (quoted and host.etype == "Person"):
            continue
        if kind != "Organization" and norm(host.name)[:1] != norm(acr.text)[:1]:
            continue  # "… en Somalie (AUSSOM)": the acronym is the phrase's, not the place's
        existing = next((c for c in out if c.start == acr.i), None)
        if existing is not None and existing.gaz_id and existing.gaz_id != host.gaz_id:
            continue
        out = [c for c in out if c.start != acr.i]
        out.append(Cand(acr.i, acr.i + 1, host.name, host.etype, host.gaz_id, "acronym", key=host.key,
                        alias_of=host.start))
    return sorted(out, key=lambda c: c.start)


def _equipment_run(toks: list[Token], j: int) -> int:
    """The end of an equipment name starting at token j: capitalised words and codes ("Patriot", "F-16",
    "S-400"), hyphen and digits included when written without spaces."""
    k = j
    while k < len(toks) and not (k > j and _breaks(toks, k)):
        t = toks[k]
        glued = k > j and not toks[k - 1].whitespace_
        if (t.text[:1].isupper() and any(ch.isalnum() for ch in t.text)) or \
                (glued and (t.text == "-" or t.text.isdigit())):
            k += 1
            continue
        break
    while k > j and toks[k - 1].text == "-":
        k -= 1
    return k


def find_equipment(seg: Segment, lex: Lexicon) -> list[tuple[int, int, str]]:
    """Equipment and weapon systems named after an equipment noun ("des missiles Patriot", "des véhicules
    blindés Stryker et Bradley"), with the names coordinated with them: (start, end, name), found once."""
    if seg.equipment is not None:
        return seg.equipment
    toks, nouns, out = seg.toks, lex.rules.equipment_nouns, []
    for i, t in enumerate(toks):
        if not t.is_lower or not (seg.lowers[i] in nouns or seg.lemma_lows[i] in nouns):
            continue
        j = i + 1
        # "véhicules blindés Stryker", "systèmes de défense antiaérienne Patriot", "systèmes d'artillerie Himars"
        while j < len(toks) and j - i <= 5 and toks[j].is_lower and (
                toks[j].pos_ == "ADJ" or toks[j].dep_ == "amod" or toks[j].lower_ in ("de", "d'", "d’") and j + 1 < len(toks)
                and toks[j + 1].pos_ == "NOUN" and toks[j + 1].is_lower or toks[j].pos_ == "NOUN" and
                toks[j - 1].lower_ in ("de", "d'", "d’")):
            j += 1
        if j < len(toks) and toks[j].text in _QUOTES:  # le missile balistique « Orechnik »
            q = _quoted(toks, j, len(toks))
            if q is not None and q[1] == q[0] + 1:
                out.append((q[0], q[1], seg.span_text(*q)))
            continue
        e = _equipment_run(toks, j) if j < len(toks) and not _breaks(toks, j) else j
        if e == j:
            continue
        found = [(j, e)]
        for k in range(e, min(len(toks), e + 12)):  # "Stryker et Bradley": the names coordinated with it
            if _breaks(toks, k):
                break
            if toks[k].dep_ == "conj" and j <= toks[k].head.i < e and toks[k].text[:1].isupper():
                found.append((k, _equipment_run(toks, k)))
        out += [(a, b, seg.span_text(a, b)) for a, b in found if b > a]
    seg.equipment = out
    return out


def _marker_at(seg: Segment, i: int, markers: tuple[tuple[str, ...], ...]) -> int | None:
    """The index just after one of ``markers`` (word sequences) starting at token i, if one does."""
    first = seg.norms[i] if i < len(seg.norms) else None
    for words in markers:
        if words[0] == first and tuple(seg.norms[i:i + len(words)]) == words:
            return i + len(words)
    return None


def _declared_names(seg: Segment, lex: Lexicon, chosen: list[Cand]) -> list[Cand]:
    """Another name the text gives the actor it has just named: "Mohamed Hamdan Daglo, dit « Hemetti »",
    "X, surnommé Y", "X (également connu sous le nom d'Y)" make Y an alias of X; "Y, de son vrai nom X" makes
    the nickname Y an alias of the real name X. Either way one actor, under its real name."""
    toks, out = seg.toks, list(chosen)
    by_start = {c.start: c for c in chosen}
    for host in chosen:
        if host.source == "acronym":
            continue
        i = host.end
        while i < len(toks) and toks[i].text in (",", "("):
            i += 1
        for markers, real_first in ((lex.rules.alias_markers, True), (lex.rules.real_name_markers, False)):
            j = _marker_at(seg, i, markers) if i < len(toks) else None
            if j is None:
                continue
            if j < len(toks) and toks[j].text in _QUOTES:
                j += 1
            other = by_start.get(j)
            if other is None:
                e = j
                while e < len(toks) and e - j < 4 and _name_start(toks[e]) and toks[e].is_alpha:
                    e += 1
                if e == j:
                    break
                other = Cand(j, e, seg.span_text(j, e), host.etype, None, "ner")
            if coarse(other.etype) != coarse(host.etype) and other.source not in ("ner", "class"):
                break
            real, nick = (host, other) if real_first else (other, host)
            out = [c for c in out if c is not nick and c is not other]
            if real is other:
                out.append(real)
            out.append(Cand(nick.start, nick.end, real.name, real.etype, real.gaz_id, "acronym", key=real.key,
                            alias_of=real.start))
            break
    for real in chosen:  # "Faucon, de son vrai nom X": a nickname the NER did not take for a name
        if real.etype != "Person" or real.source == "acronym":
            continue
        for words in lex.rules.real_name_markers:
            m = real.start - len(words)
            if m < 1 or tuple(seg.norms[m:real.start]) != words:
                continue
            e = m
            while e > 0 and toks[e - 1].text in (",", "»", '"', "”"):
                e -= 1
            b = e
            while b > 0 and e - b < 3 and toks[b - 1].is_alpha and _name_start(toks[b - 1]):
                b -= 1
            if b < e and not any(_overlaps(Cand(b, e, "", "", None, ""), c) for c in out):
                out.append(Cand(b, e, real.name, real.etype, real.gaz_id, "acronym", key=real.key,
                                alias_of=real.start))
            break
    return sorted(out, key=lambda c: c.start)


def _natural_features(seg: Segment, lex: Lexicon) -> list[Cand]:
    """Seas, rivers, deserts: a feature noun and the capitalised name after it ("la mer Rouge", "le fleuve
    Niger", "le détroit d'Ormuz") are one place's name."""
    toks, out, n = seg.toks, [], len(seg.toks)
    for i, low in enumerate(seg.norms):
        if low not in lex.rules.feature_nouns:
            continue
        j = i + 1
        if j + 1 < n and seg.lowers[j] in ("de", "du", "d'", "d’") and _name_start(toks[j + 1]):
            j += 1
        k = j
        while k < n and k - j < 3 and _name_start(toks[k]) and toks[k].is_alpha:
            k += 1
        if k > j:
            out.append(Cand(i, k, seg.span_text(i, k), "Place", None, "class"))
    return out


_DE = ("de", "du", "des", "d'", "d’")


def _body_of(c: Cand) -> bool:
    """What a body can be part of: an organisation, or a state ("la Banque centrale du Yémen")."""
    return coarse(c.etype) == "Organization" or c.etype == "Country"


def _bodies(seg: Segment, lex: Lexicon, chosen: list[Cand], known: list[Cand] = ()) -> list[Cand]:
    """A body of an organisation named right before it ("le Conseil d'administration du FMI", "la commission
    de l'Union africaine", "le comité militaire de l'OTAN") is an actor of its own, named with its
    organisation; the organisation stays a mention (the body is part of it). When the NER read the body and
    its organisation as one name, the organisation is taken back from the gazetteer's ``known`` names."""
    toks, lowers, n = seg.toks, seg.lowers, len(seg.toks)
    by_start = {c.start: c for c in chosen}
    # "Comité militaire de l'OTAN" as one NER name: OTAN is still the gazetteer's
    merged = {o.end: o.start for o in chosen if o.source == "ner" and seg.norms[o.start] in lex.rules.part_nouns}
    for c in known:
        if c.source == "gazetteer" and c.start not in by_start and _body_of(c) and merged.get(c.end, c.start) < c.start:
            by_start[c.start] = c
    out = list(chosen)
    for i, low in enumerate(seg.norms):
        if low not in lex.rules.part_nouns:
            continue
        j = i + 1
        while j < n and toks[j].pos_ == "ADJ" and toks[j].is_lower:
            j += 1  # "le comité militaire"
        if j + 2 < n and lowers[j] in ("d'", "d’") and toks[j + 1].is_lower and toks[j + 1].pos_ == "NOUN" \
                and lowers[j + 2] in _DE:
            j += 2  # "le conseil d'administration du FMI"
        if j >= n or lowers[j] not in _DE:
            continue
        k = j + 1
        while k < n and toks[k].pos_ == "DET":
            k += 1
        parent = by_start.get(k)
        if parent is None or not _body_of(parent) or parent.source == "part":
            continue
        whole = [c for c in out if c.source == "ner" and c.start == i and c.end == parent.end]
        if any(c.start < j and i < c.end and not (i <= c.start and c.end <= j) for c in out
               if c is not parent and c not in whole):
            continue  # a name runs across the body's words
        out = [c for c in out if not (i <= c.start and c.end <= j) and c not in whole]
        if parent not in out:
            out.append(parent)
        out.append(Cand(i, j, seg.span_text(i, parent.end), "Organization", None, "part", alias_of=parent.start))
    return sorted(out, key=lambda c: c.start)


def find_mentions(seg: Segment, lex: Lexicon) -> list[Cand]:
    """All actor candidates of one parsed segment, non-overlapping, in text order."""
    adj_index = _adjectives(lex)
    cands = _gazetteer(seg, lex) + _demonyms(seg, lex, adj_index) + _national_actors(seg, lex, adj_index)
    name_index = _name_index(lex)
    cands += [_city(_relabel_known(c, seg, lex, name_index)) for c in _ner(seg, lex) + _named_by_class_noun(seg, lex)]
    cands += _natural_features(seg, lex) + _named_by_person_noun(seg, lex)
    equipment = find_equipment(seg, lex)
    if equipment:  # "des missiles Patriot": equipment, not an actor
        cands = [c for c in cands if not any(c.start < e and s < c.end for s, e, _ in equipment)]
    return _declared_names(seg, lex, _bodies(seg, lex, _acronyms(seg, _select(cands, seg), lex), cands))


@lru_cache(maxsize=4)
def _adjectives_cached(lex_id: int, lex: Lexicon) -> dict[str, str]:
    return lex.gazetteer.adjective_index()


def _head_words(head: str) -> list[str]:
    """A head as the tokenizer splits it: "armée de l'air" -> armée, de, l', air."""
    return re.sub(r"([dl]['’])", r"\1 ", head).split()


@lru_cache(maxsize=4)
def _heads_by_first_word(lex: Lexicon) -> dict[str, tuple[str, ...]]:
    """National-actor head nouns by their first word, longest first, so each token is tried only
    against the heads that can start there."""
    out: dict[str, list[str]] = {}
    for head in sorted({*lex.rules.national_actors, *lex.rules.office_titles}, key=lambda h: (-len(_head_words(h)), h)):
        out.setdefault(_head_words(head)[0], []).append(head)
    return {k: tuple(v) for k, v in out.items()}


def adjectives(lex: Lexicon) -> dict[str, str]:
    """Inflected nationality adjective -> country id, built once per lexicon."""
    return _adjectives_cached(id(lex), lex)


def _adjectives(lex: Lexicon) -> dict[str, str]:
    return _adjectives_cached(id(lex), lex)


@lru_cache(maxsize=4)
def _name_index_cached(lex_id: int, lex: Lexicon) -> dict[str, str]:
    out = {}
    for e in lex.gazetteer.entries.values():
        for n in (e.name, *e.names):
            out.setdefault(norm(n), e.id)
    return out


def _name_index(lex: Lexicon) -> dict[str, str]:
    return _name_index_cached(id(lex), lex)


def description_matches(seg: Segment, lex: Lexicon) -> list[tuple[int, int, list[str]]]:
    """Definite descriptions ("l'ancien État soviétique") with the gazetteer ids they may refer to."""
    _, _, info = _matcher(id(lex), lex, seg.doc.vocab)
    out = []
    for label, s, e in _matches(seg, lex):
        if label in info and s > 0 and seg.lowers[s - 1] in ("le", "la", "l'", "l’", "cet", "cette", "ce", "du", "de"):
            out.append((s, e, info[label]))
    return out


# How much a mention's source says about what its name is: a name the gazetteer knows, or that the text
# introduces ("la ville de X", "X (ACR)"), outweighs the NER's guess.
_SOURCE_RANK = {"gazetteer": 0, "pattern": 0, "role": 0, "part": 0, "demonym": 1, "class": 1, "acronym": 1, "gazetteer-weak": 2,
                "description": 2, "ner": 3}


def _identity(m: Mention) -> tuple[str, str | None, str | None]:
    key = m.source.split("|", 1)[1] if "|" in m.source else None
    return m.etype, m.gaz_id, key


def _as(m: Mention, etype: str, gaz_id: str | None, key: str | None) -> Mention:
    source = m.source.split("|", 1)[0]
    return replace(m, etype=etype, gaz_id=gaz_id, source=f"{source}|{key}" if key else source)


def one_actor_per_name(mentions: list[Mention]) -> dict[Mention, Mention]:
    """Within one document a name names one actor: mentions of a name the NER typed differently from one
    sentence to the next ("Soumy" a city, then a person) take the identity the best evidence gives (gazetteer,
    class noun, acronym, then the commonest reading, then the first); and a lone word the NER took for a
    place or an organisation is a person when it is the surname of the document's one full name ending
    with it ("Netanyahu" after "Benjamin Netanyahu"); the first words of the document's one longer
    organisation name stand for it ("la Cour" for "la Cour pénale internationale"). Two gazetteer actors or two reference places that
    share a name are left apart. Returns the mentions that change, with their new reading."""
    groups: dict[str, list[Mention]] = {}
    for m in sorted(mentions, key=lambda m: (m.start, m.end)):
        groups.setdefault(norm(m.name), []).append(m)
    out: dict[Mention, Mention] = {}
    for ms in groups.values():
        idents = {_identity(m) for m in ms}
        if len(idents) < 2 or len({g for _, g, _ in idents if g}) > 1 or len({k for _, _, k in idents if k}) > 1:
            continue
        count = {i: sum(_identity(m) == i for m in ms) for i in idents}
        best = min(ms, key=lambda m: (_SOURCE_RANK.get(m.source.split("|")[0], 3), -count[_identity(m)]))
        win = _identity(best)
        out.update({m: _as(m, *win) for m in ms if _identity(m) != win})
    orgs: dict[str, Mention] = {}
    for m in mentions:
        m = out.get(m, m)
        if coarse(m.etype) == "Organization":
            orgs.setdefault(norm(m.name), m)
    for m in mentions:
        now = out.get(m, m)
        if now.source != "ner" or now.gaz_id or coarse(now.etype) != "Organization":
            continue
        longer = [k for k in orgs if k.startswith(norm(now.name) + " ")]
        if len(longer) == 1:  # "la Cour" after "la Cour pénale internationale"
            whole = orgs[longer[0]]
            out[m] = replace(_as(now, *_identity(whole)), name=whole.name)
    people: dict[str, set[str]] = {}
    for m in mentions:
        m = out.get(m, m)
        words = norm(m.name).split()
        if m.etype == "Person" and len(words) > 1:
            people.setdefault(words[-1], set()).add(norm(m.name))
    for m in mentions:
        now = out.get(m, m)
        if now.source == "ner" and now.etype != "Person" and not now.gaz_id and " " not in now.name.strip() \
                and len(people.get(norm(now.name), ())) == 1:
            out[m] = replace(now, etype="Person")
    return out
