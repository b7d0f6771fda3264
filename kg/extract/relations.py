"""Relations stated by a parsed document, as plain Relation records.

Rules come from kg/data/rules.yaml; this module holds the generic machinery that applies
them to spaCy's dependency parse: finding a verb's subject through auxiliaries,
infinitives and relative clauses, a noun's agent and patient through its prepositions,
coordinated arguments, pronouns and descriptions resolved within the document, and
negated, denied or alleged statements dropped.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from kg.extract.candidates import Candidate, sentence_candidates
from kg.extract.decide import SIGNATURE as _SIGNATURE
from kg.extract.entities import (Segment, adjectives, description_matches, find_equipment, find_mentions,
                                 one_actor_per_name)
from kg.extract.grammar import (continuation, expand, future_only, governor, is_passive, lemma_in, lemma_key,
                              money_near, negated_or_alleged, parse_money, prep, prep_args, subject_tokens)
from kg.lexicon import Lexicon, coarse, norm
from kg.records import Document, Mention, Relation

_PERSONAL = {"il": ("Masc", "Sing"), "elle": ("Fem", "Sing"), "ils": ("Masc", "Plur"), "elles": ("Fem", "Plur")}


def _first_words(keys) -> frozenset[str]:
    """The word each key starts with, whole or as the tokenizer may cut it ("vice-président" -> also
    "vice"): a token that is none of them cannot start a title, so most tokens are skipped without slicing
    the document."""
    return frozenset(w for k in keys for w in (k.split()[0], re.split(r"[-'’ ]", k)[0]) if w)


@dataclass
class _SentenceView:
    """One sentence of one segment, with the mentions found in it."""

    sent: Span
    base: int  # offset of the segment in the document text
    tok2m: dict[int, Mention]
    seg: Segment
    text: str  # the sentence's text
    subjects: list[tuple[int, str | None, str | None, Mention | None]] = field(default_factory=list)
    tokens: list = field(default_factory=list)  # the sentence's tokens

    def __post_init__(self) -> None:
        self.tokens = self.seg.toks[self.sent.start:self.sent.end]


_QUOTES = frozenset('«»"“”„‘’\'`')
_DEMONSTRATIVES = frozenset({"ce", "cet", "cette"})  # (the plural "ces" points to several)


@dataclass
class _After:
    """A mention and the words right after it, as the surface patterns read them."""

    view: _SentenceView
    m: Mention
    first: dict[int, int]  # id(mention) -> its first token
    after: dict[int, int]  # id(mention) -> the token after it

    def __post_init__(self) -> None:
        self.toks = self.view.seg.toks
        self.e = self.after[id(self.m)]
        self.nxt = self.toks[self.e]
        # past a closing quote: "l'association « X » au Venezuela"
        self.past_quote = self.e + 1 if self.nxt.text in _QUOTES and self.e + 1 < self.view.sent.end else self.e

    def at(self, j: int) -> Mention | None:
        return self.view.tok2m.get(j)

    def start_of(self, m: Mention) -> int:
        return self.first[id(m)]

    def end_of(self, m: Mention) -> int:
        return self.after[id(m)]

    def ends_phrase(self, m: Mention) -> bool:
        """Nothing but punctuation (or the sentence's end) after the mention: "Mons, Belgique."."""
        k = self.after[id(m)]
        return k >= self.view.sent.end or self.toks[k].text in (",", ".", ")", ";", ":")


def _past_determiners(toks, j: int, end: int) -> int:
    """The first token from ``j`` (before ``end``) that is not a determiner: "de | la | Russie"."""
    while j < end and toks[j].pos_ == "DET":
        j += 1
    return j


class DocumentExtractor:
    """Walks one document's sentences in order, so pronouns and descriptions can look back."""

    def __init__(self, document: Document, lex: Lexicon, collect: bool = False):
        self.document = document
        self.lex = lex
        self.collect = collect  # keep every candidate with its features (for training)
        self.candidates: list[tuple[Candidate, str, int]] = []
        self._equipment: set[str] = set()  # equipment names seen so far in the document
        self.rules = lex.rules
        self._title_starts = _first_words(lex.rules.titles)
        self.adj_index = adjectives(lex)  # cached: built once per lexicon, not per document
        self.mentions: list[Mention] = []
        self.relations: list[Relation] = []
        self.history: list[list[tuple[int, str | None, str | None, Mention | None]]] = []
        self.recent: list[Mention] = []  # gazetteer-known mentions, in text order
        self._seen_sentences: set[str] = set()
        self._seg: Segment | None = None
        self._strong: set[str] = set()  # gazetteer actors the document names for sure (so far)
        self._emitted: set[tuple[int, str, str, str]] = set()

    # ---- mentions ---------------------------------------------------------------------
    def _mention(self, sd: Doc, base: int, s: int, e: int, name: str, etype: str, gaz_id: str | None,
                 source: str) -> Mention:
        seg = self._segment(sd)
        last = seg.toks[e - 1]
        a, b = seg.toks[s].idx, last.idx + len(last.text)  # the Span's start_char and end_char
        return Mention(doc_id=self.document.doc_id, start=base + a, end=base + b, text=seg.text[a:b], name=name, etype=etype, gaz_id=gaz_id, sentence=self._sentence_of(sd, s),
                       source=source)

    def _segment(self, sd: Doc) -> Segment:
        """The segment being read (run sets it), or that of another parse."""
        return self._seg if self._seg is not None and self._seg.doc is sd else Segment.of(sd)

    def _sentence_of(self, sd: Doc, i: int) -> str:
        """The text of the sentence holding token i (Span.sent walks the tokens at every call; this does not)."""
        seg = self._segment(sd)
        return seg.sent_texts[bisect_right(seg.sent_starts, i) - 1]

    def _segment_mentions(self, seg: Segment, base: int) -> dict[int, Mention]:
        sd = seg.doc
        cands = find_mentions(seg, self.lex)
        # a name the document has called equipment ("des missiles Patriot") is equipment wherever it says it
        self._equipment |= {norm(name) for _, _, name in find_equipment(seg, self.lex)}
        cands = [c for c in cands if norm(seg.span_text(c.start, c.end)) not in self._equipment]
        self._strong |= {c.gaz_id for c in cands if c.gaz_id and c.source != "gazetteer-weak"}
        strong = self._strong
        tok2m: dict[int, Mention] = {}
        for c in cands:
            if c.source == "gazetteer-weak":
                entry = self.lex.gazetteer.entries[c.gaz_id]
                if not set(entry.when) & strong:
                    continue
            m = self._mention(sd, base, c.start, c.end, c.name, c.etype, c.gaz_id,
                              c.source if c.key is None else f"{c.source}|{c.key}")
            for i in range(c.start, c.end):
                tok2m[i] = m
        return tok2m

    def _repeat_acronyms(self, read: list) -> None:
        """An acronym the document has named an actor by ("les Forces armées soudanaises (FAS)") names it wherever
        the document writes it again, though the NER missed it there ("l'Iran et l'Égypte arment les FAS")."""
        known: dict[str, Mention] = {}
        for *_, tok2m in read:
            for m in tok2m.values():
                if m.text.isupper() and 2 <= len(m.text) <= 8 and m.text.isalpha():
                    known.setdefault(m.text, m)
        if not known:
            return
        lowered = {k.lower(): k for k in known}
        for seg, sd, segment, tok2m in read:
            for i, low in enumerate(segment.lowers):  # the segment's strings, read once: no Token objects made
                key = lowered.get(low)
                if key is not None and i not in tok2m and segment.toks[i].text == key:
                    m = known[key]
                    self._seg = segment
                    tok2m[i] = self._mention(sd, seg.start, i, i + 1, m.name, m.etype, m.gaz_id, "acronym-repeat")

    def _adjective_mention(self, tok: Token, base: int) -> Mention | None:
        gid = self.adj_index.get(norm(tok.text))
        if gid is None:
            return None
        e = self.lex.gazetteer.entries[gid]
        return self._mention(tok.doc, base, tok.i, tok.i + 1, e.name, e.type, gid, "adjective")

    # ---- argument resolution -------------------------------------------------------------
    def ref(self, tok: Token, view: _SentenceView, depth: int = 0) -> Mention | None:
        """The actor a token stands for: a name, a pronoun, a description or a group noun."""
        if depth > 4:
            return None
        if tok.i in view.tok2m:
            return view.tok2m[tok.i]
        low = tok.lower_
        if tok.pos_ == "PRON":
            if "Rel" in tok.morph.get("PronType") or low in ("qui", "que", "lequel", "laquelle"):
                verb = tok.head
                if verb.dep_.startswith("acl") and verb.head.i != verb.i:
                    return self.ref(verb.head, view, depth + 1)
                return None
            if low in _PERSONAL:
                return self._pronoun(tok, view)
            return None
        if tok.pos_ in ("NOUN", "PROPN", "ADJ"):
            lemma = tok.lemma_.lower()
            if lemma in self.rules.group_nouns or low in self.rules.group_nouns:
                for c in tok.children:
                    if c.dep_ in ("nmod", "appos") and prep(c) in ("de", None):
                        r = self.ref(c, view, depth + 1)
                        if r is not None:
                            return r
                for c in tok.children:
                    if c.dep_ == "amod":
                        r = self._adjective_mention(c, view.base)
                        if r is not None:
                            return r
            if lemma in self.rules.class_nouns or low in self.rules.class_nouns:
                for c in tok.children:
                    if c.dep_ in ("nmod", "appos", "flat:name") and c.i > tok.i and prep(c) in ("de", None):
                        r = self.ref(c, view, depth + 1)
                        if r is not None:
                            return r
                j, toks = tok.i + 1, tok.doc  # "au groupe paramilitaire russe Wagner": the name after its adjectives
                while j < view.sent.end and j not in view.tok2m and (toks[j].pos_ == "ADJ" or toks[j].text in _QUOTES):
                    j += 1
                if j > tok.i + 1 and j in view.tok2m and (toks[j].head.i in range(tok.i, j) or toks[j].head.i == j):
                    return view.tok2m[j]
            if (lemma in self.rules.org_parts or low in self.rules.org_parts) and any(
                    c.lower_ == "dont" for c in tok.children) and tok.head.dep_.startswith("acl"):
                return self.ref(tok.head.head, view, depth + 1)  # "X, dont le conseil ... est dirigé par Y"
            if any(c.dep_ == "cop" for c in tok.children):  # "X est une entité ..." -> X
                for c in tok.children:
                    if c.dep_ in ("nsubj", "nsubj:pass"):
                        return self.ref(c, view, depth + 1)
            for c in tok.children:  # "le général Nicholson, qui …": the name the rank or noun introduces
                if c.dep_ in ("appos", "flat:name") and c.i in view.tok2m:
                    return view.tok2m[c.i]
        return None

    def _pronoun(self, tok: Token, view: _SentenceView) -> Mention | None:
        gender, number = _PERSONAL[tok.lower_]
        same = [s[1:] for s in view.subjects if s[0] < tok.i]
        # the sentences before, nearest first, each's main subject first (an antecedent is rarely further back
        # than three sentences)
        earlier = [s[1:] for h in reversed(self.history[-3:]) for s in h]
        for g, n, m in list(reversed(same)) + earlier:
            if (g is None or g == gender or number == "Plur" and gender == "Masc") and (n is None or n == number):
                return m
        return None

    def refs(self, toks: list[Token], view: _SentenceView, deep: bool = False, agent_only: bool = False
             ) -> list[Mention]:
        """The actors of argument tokens and of everything coordinated with them; a class noun
        ("les villes de Soledar et Bakhmut") stands for all the names it introduces."""
        out: list[Mention] = []
        for t in toks:
            for x in expand(t):
                found: list[Mention] = []
                if x.i not in view.tok2m and lemma_in(x, self.rules.class_nouns) and x.pos_ == "NOUN":
                    kids = [c for c in x.children if c.dep_ in ("nmod", "appos") and c.i > x.i
                            and prep(c) in ("de", None)]
                    found = [m for c in kids for y in expand(c) if (m := self.ref(y, view))]
                if not found:
                    m = self.ref_deep(x, view, agent_only) if deep else self.ref(x, view)
                    found = [m] if m is not None else []
                out += [m for m in found if m not in out]
        return out

    # ---- grammar helpers -------------------------------------------------------------------
    def _emit(self, view: _SentenceView, subj: Mention, pred: str, obj: Mention, rule: str,
              money: tuple[float, str] | None = None, confidence: float | None = None) -> None:
        if subj is obj or (subj.gaz_id and subj.gaz_id == obj.gaz_id) or norm(subj.name) == norm(obj.name):
            return
        if pred == "partOf" and coarse(subj.etype) == "Person":
            pred = "memberOf"
        subs, objs = _SIGNATURE[pred]
        # a state active abroad ("l'Arabie saoudite, qui intervient au Yémen") only where a rule says so: the
        # model's candidates between two places are mostly geography
        state_abroad = pred == "operatesIn" and subj.etype == "Country" and confidence is None
        if (coarse(subj.etype) not in subs and not state_abroad) or coarse(obj.etype) not in objs:
            return
        if pred in ("commands", "leads") and coarse(subj.etype) == "Organization" and coarse(obj.etype) == "Place":
            return
        if pred == "funds" and coarse(subj.etype) == "Place" and subj.etype != "Country":
            return  # among places only a state funds (ontology/shapes.ttl, FunderShape)
        sent = view.sent
        key = (sent.start_char + view.base, pred, subj.name, obj.name)
        if key in self._emitted:  # two rules stating the same relation in one sentence: keep the first
            return
        self._emitted.add(key)
        amount, currency = (money if money and pred == "funds" else (None, None))
        items = tuple(sorted({name for s, _, name in find_equipment(view.seg, self.lex)
                              if sent.start <= s < sent.end})) if pred in ("funds", "supports") else ()
        if confidence is None:
            confidence = self.lex.model.rule_confidence if self.lex.model is not None else 1.0
            if self.lex.min_confidence is not None and confidence < self.lex.min_confidence:
                return  # --min-confidence above what the rule tables reach: rules give way too
        self.relations.append(Relation(subject=subj, predicate=pred, object=obj, doc_id=self.document.doc_id,
                                       sentence=view.text, sent_start=view.base + sent.start_char,
                                       sent_end=view.base + sent.end_char, rule=rule, amount=amount,
                                       currency=currency, confidence=confidence, items=items))

    # ---- the learned decision ------------------------------------------------------------
    def model_rules(self, view: _SentenceView, first_relation: int) -> None:
        """Candidates the rules left undecided, decided by the model. Negated, denied or alleged statements,
        and future ones other than announced aid, stay out whatever the model says."""
        model = self.lex.model
        if model is None and not self.collect:
            return
        decided = {frozenset((r.subject.name, r.object.name)) for r in self.relations[first_relation:]}

        def skip(a: Mention, b: Mention) -> bool:  # the rules decided this pair: no features needed
            return not self.collect and frozenset((a.name, b.name)) in decided

        for cand in sentence_candidates(view.seg.toks, view.tok2m, self.rules, view.sent.start, view.sent.end,
                                        skip=skip, lemmas=view.seg.lemma_lows, lowers=view.seg.lowers):
            if self.collect:
                self.candidates.append((cand, view.text, view.base + view.sent.start_char))
            if model is None or frozenset((cand.first.name, cand.second.name)) in decided:
                continue
            d = model.decide(cand.features, self.lex.min_confidence)
            if d is None:
                continue
            hedge = cand.hedge()
            if hedge == "negated" or (hedge == "future" and d.predicate != "funds"):
                continue
            s, o = (cand.first, cand.second) if d.forward else (cand.second, cand.first)
            money = parse_money(view.text) if d.predicate == "funds" else None
            self._emit(view, s, d.predicate, o, model.rule_id, money, d.confidence)

    # ---- rule families -------------------------------------------------------------------
    def verb_rules(self, view: _SentenceView) -> None:
        seg, verbs = view.seg, self.rules.verbs
        for i in range(view.sent.start, view.sent.end):
            lemma = lemma_key(seg.lemmas[i], seg.lemma_lows[i], seg.lowers[i], verbs)
            if lemma is None or i in view.tok2m:
                continue
            v = seg.toks[i]
            if v.pos_ not in ("VERB", "AUX", "ADJ"):
                continue
            rule = self.rules.verbs[lemma]
            passive = is_passive(v)
            if rule.passive_only and not passive:
                continue
            if rule.context and not any(w in view.text.lower() for w in rule.context):
                continue
            money = None
            if rule.object == ("obj",):
                agents = [c for c in v.children if prep(c) == "par"] if passive else []
                if passive:
                    subjects, objects = agents, subject_tokens(v)
                else:
                    subjects, objects = subject_tokens(v), [c for c in v.children if c.dep_ == "obj"]
                    if not objects:  # "ont attaqué El-Fasher" read as an adverbial: a bare name after the verb
                        objects = [c for c in v.children if c.i > v.i and c.dep_.startswith("obl") and prep(c) is None
                                   and c.i in view.tok2m]
            else:
                subjects = subject_tokens(v)
                objects = prep_args(v, rule.object, {s.i for s in subjects})
            pred = rule.predicate
            if rule.gift:
                given = [c for c in v.children if c.dep_ == "obj"]
                if not given:
                    continue
                words = {t.lemma_.lower() for g in given for t in g.subtree}
                money = parse_money(" ".join(t.text for g in given for t in g.subtree))
                if money or words & self.rules.gift_funds:
                    pred = "funds"
                elif words & self.rules.gift_supports:
                    pred = "supports"
                else:
                    continue
                objects = [t for g in given for t in g.subtree if prep(t) == "à"] + \
                          [c for c in v.children if prep(c) == "à" or c.dep_ == "iobj"]
            found_s = self.refs(subjects, view)
            if rule.where and found_s and not rule.gift:
                # "recruter des détenus pour combattre en Ukraine": the fighter operates there
                places = self.refs(prep_args(v, rule.where, {t.i for t in subjects}), view, deep=True)
                if places and not negated_or_alleged(v, self.rules) and not future_only(v, self.rules):
                    for s in found_s:
                        for o in places:
                            if coarse(o.etype) == "Place":
                                self._emit(view, s, "operatesIn", o, f"verb:{lemma}")
            if not found_s and rule.sides:  # "une guerre opposant A à B": the sides, whatever the subject
                sides = [c for c in v.children if c.dep_ == "obj"]
                found_s = self.refs(sides, view)
                objects = prep_args(v, rule.object, {t.i for t in sides})
            # "bombarder les bastions du Hezbollah": what an attack hits stands for its owner
            # "soutenir les efforts de X" stands for X; "condamner les atrocités perpétrées par X" for X, but
            # "condamner l'arrestation de X" not: a hostile verb reaches inside only for an agent ("par")
            deep = rule.inverse or (pred in ("attacks", "supports", "opposes") and not passive)
            found_o = self.refs(objects, view, deep=deep, agent_only=pred == "opposes") if found_s else []
            if not found_o or negated_or_alleged(v, self.rules) or (not rule.gift and future_only(v, self.rules)):
                continue  # (the costlier tests last)
            if rule.inverse:
                found_s, found_o = found_o, found_s
            for s in found_s:
                for o in found_o:
                    self._emit(view, s, pred, o, f"verb:{lemma}", money)

    def noun_rules(self, view: _SentenceView) -> None:
        seg, nouns = view.seg, self.rules.nouns
        for i in range(view.sent.start, view.sent.end):
            rule = nouns.get(seg.lemma_lows[i])
            if rule is None or i in view.tok2m:
                continue
            n = seg.toks[i]
            if n.pos_ not in ("NOUN", "PROPN"):
                continue
            gov = governor(n)
            # "Le Canada est membre de l'OTAN": a predicate noun's verb is its copula
            verb = next((c for c in gov.children if c.dep_ == "cop"), gov) if gov is not None else None
            if rule.governors and not ((gov is not None and (lemma_in(gov, rule.governors)
                                                             or lemma_in(verb, rule.governors)))
                                       or (prep(n) in rule.governors)):
                continue
            sub = {t.i for t in n.subtree}
            inside = [t for t in n.subtree if t.i != n.i] + continuation(n)
            if gov is not None and n.head.i == gov.i:  # "fait partie du X": the target hangs off the verb
                inside += [c for c in gov.children if c.i != n.i and c.dep_ not in ("nsubj", "nsubj:pass")
                           and prep(c) in rule.patient]
            patient_toks: list[Token] = []
            used_prep = None
            for p in rule.patient:
                # "de" is everybody's preposition: a "de" patient hangs off the noun itself ("à la tête du
                # commandement … des États-Unis" does not make the United States the patient)
                cands = [t for t in inside if prep(t) == p and (p != "de" or t.head.i == n.i or t.head.i not in sub)
                         and self.ref_deep(t, view) is not None]
                if cands:
                    cands.sort(key=lambda t: abs(t.i - n.i))
                    patient_toks, used_prep = [cands[0]], p
                    break
            if not patient_toks or negated_or_alleged(n, self.rules) \
                    or (rule.predicate != "funds" and future_only(n, self.rules)):
                continue
            patients = self.refs(patient_toks, view, deep=True)
            agents: list[Mention] = []
            held = {t.i for p_tok in patient_toks for t in p_tok.subtree}
            gender = n.morph.get("Gender")
            for t in inside:  # (but in "soutien à l'action menée par X", X is the agent of the patient's participle;
                # in "une attaque contre Israël menée par le Hamas" the participle agrees with the noun: its agent)
                if prep(t) == "par" and not (t.head.i in held and t.head.dep_.startswith("acl")
                                             and not (gender and t.head.morph.get("Gender") == gender)) \
                        and (m := self.ref(t, view)):
                    agents.append(m)
            if not agents:
                for c in n.children:
                    if c.dep_ == "amod" and (m := self._adjective_mention(c, view.base)):
                        agents.append(m)
            if not agents:  # "Washington, le principal allié de Kiev": the name the noun is apposed to
                apposed = [n.head] if n.dep_ == "appos" else [c for c in n.children if c.dep_ == "appos"]
                agents = [m for t in apposed if (m := self.ref(t, view)) is not None and m not in patients]
            if not agents:  # "Vinci, dont le siège est à Nanterre": the name the relative "dont" follows
                for c in n.children:
                    if c.lower_ == "dont" and c.i - 2 >= view.sent.start and seg.toks[c.i - 1].text == "," \
                            and (m := view.tok2m.get(c.i - 2)) is not None and m not in patients:
                        agents = [m]
            if not agents:  # the same between commas, however the parser attached it ("EIGS, la branche … de Y,")
                left, right = n.left_edge.i, n.right_edge.i + 1
                toks = seg.toks
                if left - 2 >= view.sent.start and toks[left].pos_ == "DET" and toks[left - 1].text == "," \
                        and left - 2 in view.tok2m \
                        and (right >= view.sent.end or toks[right].text in (",", ".", ";", ")")) \
                        and view.tok2m[left - 2] not in patients:
                    agents = [view.tok2m[left - 2]]
            if not agents and used_prep != "de":
                for t in inside:
                    if prep(t) == "de" and t.head.i == n.i and (m := self.ref(t, view)) and m not in patients:
                        agents.append(m)
            possessive = any("Yes" in c.morph.get("Poss") for c in n.children)
            if not agents and gov is not None and (possessive or lemma_in(gov, rule.agent_verbs)
                                                   or lemma_in(verb, rule.agent_verbs)):
                agents = self.refs(subject_tokens(gov), view)
            money = money_near(n) if rule.predicate == "funds" else None
            for a in agents:
                for p in patients:
                    self._emit(view, a, rule.predicate, p, f"noun:{n.lemma_.lower()}", money)

    def ref_deep(self, tok: Token, view: _SentenceView, agent_only: bool = False) -> Mention | None:
        """Like ref, but "à la sécurité de l'Ukraine" also reaches the actor inside the phrase."""
        m = self.ref(tok, view)
        if m is None and tok.pos_ == "NOUN" and tok.lemma_.lower() in self.rules.titles:
            # "tuer le chef du Hezbollah Hassan Nasrallah": a title stands for the person who holds it
            for t in tok.subtree:
                held = view.tok2m.get(t.i)
                if held is not None and held.etype == "Person":
                    return held
        if m is None and tok.pos_ == "NOUN":
            m = self._agent_of(tok, view)
        if m is None and tok.pos_ == "NOUN" and lemma_in(tok, self.rules.agent_nouns):
            # "dénoncer les ambitions du Rwanda", "les provocations russes": the noun is its owner's doing
            for c in tok.children:
                if c.dep_ == "nmod" and prep(c) == "de" and (m := self.ref(c, view)):
                    return m
                if c.dep_ == "amod" and (m := self._adjective_mention(c, view.base)):
                    return m
        if m is None and tok.pos_ == "NOUN" and not agent_only:
            for c in tok.children:
                if c.dep_ == "nmod" and prep(c) == "de" and (m := self.ref(c, view)):
                    return m
        return m

    def _agent_of(self, tok: Token, view: _SentenceView) -> Mention | None:
        """The agent of an action noun: "l'action menée par la MINUSCA", "les atrocités perpétrées par les FSR"
        (participles of carrying out only: ``agent_participles``)."""
        for c in tok.children:
            if prep(c) == "par" and (m := self.ref(c, view)):
                return m
            if c.dep_.startswith("acl") and c.pos_ in ("VERB", "ADJ") and lemma_in(c, self.rules.agent_participles):
                for g in c.children:
                    if prep(g) == "par" and (m := self.ref(g, view)):
                        return m
        return None

    def title_rules(self, view: _SentenceView) -> None:
        sent, toks = view.sent, view.seg.toks
        norms, starts, tok2m = view.seg.norms, self._title_starts, view.tok2m
        i = sent.start
        while i < sent.end:
            if norms[i] not in starts and i not in tok2m:  # most words: neither a title nor a mention
                i += 1
                continue
            match = None
            held = view.tok2m.get(i)
            if held is not None and held.source.startswith("role") and view.tok2m.get(i - 1) is not held:
                # "le ministre polonais de la Défense, Mariusz Blaszczak": he leads the ministry
                te = i
                while te < sent.end and view.tok2m.get(te) is held:
                    te += 1
                person = self._title_person(view, i, te)
                if person is not None:
                    self._emit(view, person, "leads", held, f"title:{view.seg.norms[i]}")
                i = te
                continue
            if norms[i] not in starts:
                i += 1
                continue
            for width in (3, 2, 1):
                j = i + width
                if j <= sent.end and norm(view.seg.span_text(i, j).replace(" ' ", "'").replace("' ", "'")) in self.rules.titles:
                    match = (i, j, self.rules.titles[norm(view.seg.span_text(i, j).replace("' ", "'"))])
                    break
            if not match or i in view.tok2m:
                i += 1
                continue
            ts, te, pred = match
            org, k = None, te
            while k < sent.end and (toks[k].pos_ == "ADJ" or toks[k].dep_ == "amod") and toks[k].is_lower \
                    and k not in view.tok2m \
                    and self._adjective_mention(toks[k], view.base) is None:
                k += 1  # "haut représentant civil de l'OTAN", "commandant suprême des forces"
            if k < sent.end and (m := self._adjective_mention(toks[k], view.base)) \
                    and (toks[k].pos_ == "ADJ" or toks[k].text.islower()):  # "émirati" is tagged PROPN
                org, k = m, k + 1
                k2 = _past_determiners(toks, k + 1, sent.end)
                if k < sent.end and toks[k].lower_ in ("de", "du", "d'", "d’") and k2 in view.tok2m \
                        and coarse(view.tok2m[k2].etype) == "Organization":
                    # "le commandant iranien de la Force Quds, X": the force, not the country
                    org, k = view.tok2m[k2], k2
                    while k < sent.end and view.tok2m.get(k) is org:
                        k += 1
            elif k + 1 < sent.end and toks[k].text == "(" and k + 1 in view.tok2m:
                # "Yahya Sinwar, dirigeant (Hamas)": lists of sanctioned people give the organisation in brackets
                org, k = view.tok2m[k + 1], k + 1
                while k < sent.end and view.tok2m.get(k) is org:
                    k += 1
                if k >= sent.end or toks[k].text != ")":
                    org = None
            elif k < sent.end and toks[k].lower_ in ("de", "du", "des", "d'", "d’"):
                k2 = _past_determiners(toks, k + 1, sent.end)
                k3 = k2 + 1
                while k3 < sent.end and k3 not in view.tok2m and (toks[k3].pos_ == "ADJ"
                                                                  or toks[k3].text in _QUOTES):
                    k3 += 1  # "de l'association « Terre solidaire »"
                if k3 < sent.end and k2 not in view.tok2m and k3 in view.tok2m \
                        and view.seg.lemma_lows[k2] in self.rules.class_nouns \
                        and not any(c.dep_ == "nmod" and view.tok2m.get(c.i) is not view.tok2m[k3]
                                    and not self._place_phrase(c, view) for c in toks[k2].children):
                    # "présidente de l'association Terre solidaire", "patron du groupe paramilitaire Wagner": the
                    # class noun, then its name (but "la mission OTAN de formation" is a mission of NATO's)
                    k2 = k3
                if k2 in view.tok2m:
                    org = view.tok2m[k2]
                    k = k2
                    while k < sent.end and view.tok2m.get(k) is org:
                        k += 1
            person = self._title_person(view, ts, k) if org is not None else None
            if person is not None:
                self._emit(view, person, pred, org, f"title:{norm(view.seg.span_text(ts, te))}")
            i = te

    def body_rules(self, view: _SentenceView) -> None:
        """"le Conseil d'administration du FMI": the body (kg.extract.entities._bodies) is part of the
        organisation named right after it."""
        toks, seen = view.seg.toks, set()
        for i in sorted(view.tok2m):
            m = view.tok2m[i]
            if id(m) in seen or not m.source.startswith("part"):
                continue
            seen.add(id(m))
            k = i
            while view.tok2m.get(k) is m:
                k += 1
            if k < view.sent.end and toks[k].lower_ in ("de", "du", "des", "d'", "d’"):
                k += 1
            k = _past_determiners(toks, k, view.sent.end)
            parent = view.tok2m.get(k)
            if parent is not None and parent is not m:
                self._emit(view, m, "partOf", parent, "part:de")

    def _place_phrase(self, tok: Token, view: _SentenceView) -> bool:
        """"à Mexico", "en Côte d'Ivoire": a named place after a place preposition."""
        m = view.tok2m.get(tok.i)
        return m is not None and coarse(m.etype) == "Place" and prep(tok) in ("à", "au", "aux", "en", "dans")

    def _title_person(self, view: _SentenceView, ts: int, k: int) -> Mention | None:
        """The person a title phrase (tokens ts to k) is given to: the name right after it ("le président
        russe Vladimir Poutine", "…, le général X"), before it and a comma ("X, président de …"), or the
        subject of "être" ("X est le président de …")."""
        sent, toks = view.sent, view.seg.toks
        r = k
        while r < sent.end and r not in view.tok2m and (
                toks[r].text in (",", "-") or toks[r].pos_ in ("DET", "ADV") or norm(toks[r].text) in self.rules.ranks
                or norm(toks[r].text) in self.adj_index):  # "…, actuellement le Norvégien X", "le colonel-major X"
            r += 1
        if r < sent.end and r in view.tok2m and view.tok2m[r].etype == "Person":
            return view.tok2m[r]
        left = ts - 1
        steps = 0
        while left >= sent.start and steps < 7 and (toks[left].pos_ in ("DET", "ADJ", "CCONJ", "ADV")
                                                   or norm(toks[left].text) in self.rules.ranks
                                                   or (toks[left].pos_ == "NOUN" and left not in view.tok2m)):
            left, steps = left - 1, steps + 1
        if left >= sent.start and toks[left].text == "," and left - 1 in view.tok2m:
            cand = view.tok2m[left - 1]
            return cand if cand.etype == "Person" else None
        if left >= sent.start and toks[left].lemma_ == "être" and toks[left].pos_ == "AUX":
            subj = [c for c in toks[ts].children if c.dep_ == "nsubj"]
            if subj and (m := self.ref(subj[0], view)) and m.etype == "Person":
                return m
        if left >= sent.start and toks[left].pos_ == "VERB" and lemma_in(toks[left], self.rules.naming_verbs) \
                and toks[ts].head.i == left and not future_only(toks[left], self.rules) \
                and not negated_or_alleged(toks[left], self.rules):
            # "X a été nommé commandant de Y", "X a été élu président de Y" (not "sera nommé": not yet true)
            for c in subject_tokens(toks[left]):
                if (m := self.ref(c, view)) is not None and m.etype == "Person":
                    return m
        return None

    def surface_rules(self, view: _SentenceView) -> None:
        """Surface patterns after each mention (parentheses, "à Wiesbaden en Allemagne", "X, de l'armée Y"),
        tried in a fixed order (two patterns stating one relation: the first speaks), then the class nouns with
        a nationality ("les villes ukrainiennes de Soledar et Bakhmut")."""
        first: dict[int, int] = {}
        after: dict[int, int] = {}
        for i, m in view.tok2m.items():
            first.setdefault(id(m), i)
            after[id(m)] = i + 1
        for m in sorted({(m.start, m.end): m for m in view.tok2m.values()}.values(), key=lambda m: m.start):
            if after[id(m)] >= view.sent.end:
                continue
            a = _After(view, m, first, after)
            for pattern in (self._in_brackets, self._compass_in_brackets, self._place_comma_country,
                            self._place_en_country, self._site_of_city, self._place_demonym, self._place_dans,
                            self._actor_of_person, self._place_described, self._person_comma_de_org,
                            self._org_en_country, self._org_a_city, self._org_comma_a_city):
                pattern(a)
        self._class_noun_places(view)

    def _in_brackets(self, a: _After) -> None:
        """"X (Hamas)" is a member; "Ottawa (Ontario)" is located there; "Y (ACR), à Z" is seated in Z."""
        view, m, e, toks = a.view, a.m, a.e, a.toks
        if a.nxt.text != "(" or (b := a.at(e + 1)) is None:
            return
        be = a.end_of(b)
        if be >= len(toks) or toks[be].text != ")" or b is m:
            return
        if m.etype == "Person" and coarse(b.etype) == "Organization":
            self._emit(view, m, "memberOf", b, "paren:memberOf")
        elif coarse(m.etype) == "Place" and m.etype not in ("Country", "Continent") and \
                (b.etype == "Country" or (b.etype == "Region" and m.etype != "Region")):
            self._emit(view, m, "locatedIn", b, "paren:locatedIn")  # "Ottawa (Ontario)"
        k = be + 1
        if coarse(m.etype) == "Organization" and k + 2 < view.sent.end and toks[k].text == "," \
                and toks[k + 1].lower_ == "à" and (c := a.at(k + 2)) is not None:
            if coarse(c.etype) == "Place" and c.etype not in ("Country", "Continent", "Region"):
                self._emit(view, b if coarse(b.etype) == "Organization" else m, "locatedIn", c,
                           "apposition:locatedIn")

    def _compass_in_brackets(self, a: _After) -> None:
        """"Bakhmout (est de l'Ukraine)": a direction of a country, in parentheses."""
        view, m, toks, end = a.view, a.m, a.toks, a.view.sent.end
        if a.nxt.text != "(" or coarse(m.etype) != "Place" or m.etype in ("Country", "Continent"):
            return
        j = a.e + 1
        if j < end and norm(toks[j].text) in self.rules.compass_words:
            j += 1
            while j < end and toks[j].lower_ in ("de", "du", "d'", "d’", "la", "l'", "l’"):
                j += 1
            b = a.at(j)
            if b is not None and b.etype == "Country" and a.end_of(b) < end and toks[a.end_of(b)].text == ")":
                self._emit(view, m, "locatedIn", b, "paren:locatedIn")

    def _place_comma_country(self, a: _After) -> None:
        """"à Bruxelles, Belgique," / "Mons, Belgique.": a place and its country, not a list of places."""
        view, m, e, toks, end = a.view, a.m, a.e, a.toks, a.view.sent.end
        if a.nxt.text != "," or (b := a.at(e + 1)) is None or coarse(m.etype) != "Place" \
                or m.etype in ("Country", "Continent", "Region"):
            return
        be, ms_ = a.end_of(b), a.start_of(m)
        if b.etype == "Country" and a.ends_phrase(b) \
                and (ms_ == view.sent.start or toks[ms_ - 1].text != ",") \
                and (be >= end or be + 1 >= end or toks[be + 1].lower_ not in ("et", "ou")):
            self._emit(view, m, "locatedIn", b, "apposition:locatedIn")

    def _place_en_country(self, a: _After) -> None:
        """"à Gao au Mali", "à Gao, au Mali,": a town and its country."""
        view, m, e, toks = a.view, a.m, a.e, a.toks
        comma = a.nxt.text == "," and e + 1 < view.sent.end
        at = e + 2 if comma else e + 1
        if toks[at - 1].lower_ not in ("en", "au", "aux") or (b := a.at(at)) is None:
            return
        s = a.start_of(m)
        if coarse(m.etype) == "Place" and m.etype not in ("Country", "Continent", "Region") \
                and b.etype == "Country" and (s == 0 or toks[s - 1].lower_ in ("à", "de", "d'", "d’")) \
                and (not comma or a.ends_phrase(b)):
            self._emit(view, m, "locatedIn", b, "place:en")

    def _site_of_city(self, a: _After) -> None:
        """"l'aéroport international Aden Adde de Mogadiscio": a site of the city."""
        if a.m.etype == "Place" and a.nxt.lower_ in ("de", "d'", "d’") and (b := a.at(a.e + 1)) is not None \
                and b.etype in ("City", "Country"):
            self._emit(a.view, a.m, "locatedIn", b, "place:de")

    def _place_demonym(self, a: _After) -> None:
        """"le Donbass ukrainien": a place and its country's adjective."""
        m, nxt = a.m, a.nxt
        if coarse(m.etype) == "Place" and m.etype not in ("Country", "Continent") and nxt.pos_ == "ADJ" \
                and nxt.head.i in range(a.start_of(m), a.e) \
                and (c := self._adjective_mention(nxt, a.view.base)) is not None and c.etype == "Country":
            self._emit(a.view, m, "locatedIn", c, "adjective:locatedIn")

    def _place_dans(self, a: _After) -> None:
        """"Rostov, dans le sud de la Russie", "à Gao dans le nord du Mali"."""
        view, m = a.view, a.m
        if coarse(m.etype) != "Place" or m.etype in ("Country", "Continent"):
            return
        j = a.e + 1 if a.nxt.text == "," else a.e
        if j < view.sent.end and a.toks[j].lower_ == "dans":
            country = self._compass_country(view, j + 1)
            if country is not None:
                self._emit(view, m, "locatedIn", country, "place:dans")

    def _actor_of_person(self, a: _After) -> None:
        """"la Russie de Vladimir Poutine", "les Forces armées soudanaises du général X": the person leads (a
        military force: commands) the actor."""
        view, m, toks, end = a.view, a.m, a.toks, a.view.sent.end
        if not (m.etype == "Country" or coarse(m.etype) == "Organization") \
                or a.nxt.lower_ not in ("de", "du", "d'", "d’"):
            return
        j = a.e + 1
        while j < end and j not in view.tok2m and (toks[j].pos_ == "DET" or norm(toks[j].text) in self.rules.ranks):
            j += 1
        b = a.at(j)
        if b is not None and b.etype == "Person" and toks[j].head.i in range(a.start_of(m), a.e):
            pred = "commands" if m.etype == "MilitaryOrganization" else "leads"
            self._emit(view, b, pred, m, f"possession:{pred}")

    def _place_described(self, a: _After) -> None:
        """"Bakhmout, une ville de l'est de l'Ukraine": see _place_apposition."""
        m = a.m
        if a.nxt.text == "," and coarse(m.etype) == "Place" and m.etype not in ("Country", "Continent"):
            country = self._place_apposition(a.view, a.e + 1)
            if country is not None and country is not m:
                self._emit(a.view, m, "locatedIn", country, "apposition:locatedIn")

    def _person_comma_de_org(self, a: _After) -> None:
        """"le général Knud Bartels, de l'armée de terre danoise,": a member of it."""
        view, m, e, toks = a.view, a.m, a.e, a.toks
        if m.etype != "Person" or a.nxt.text != "," or e + 1 >= view.sent.end \
                or toks[e + 1].lower_ not in ("de", "du", "d'", "d’"):
            return
        b = a.at(_past_determiners(toks, e + 2, view.sent.end))
        if b is not None and coarse(b.etype) == "Organization" and a.ends_phrase(b):
            self._emit(view, m, "memberOf", b, "apposition:memberOf")

    def _org_en_country(self, a: _After) -> None:
        """"la mission de formation en Afghanistan", "l'association « X » au Venezuela": active there."""
        view, m, toks, q = a.view, a.m, a.toks, a.past_quote
        if coarse(m.etype) == "Organization" and toks[q].lower_ in ("en", "au", "aux") \
                and (b := a.at(q + 1)) is not None and b.etype == "Country" and toks[q + 1].dep_ == "nmod" \
                and toks[q + 1].head.i in range(a.start_of(m) - (2 if q > a.e else 0), q):
            self._emit(view, m, "operatesIn", b, "place:en")

    def _org_a_city(self, a: _After) -> None:
        """"la commission de l'Union africaine à Addis-Abeba", "le laboratoire « FileGen » à Madrid": the city
        phrase hangs off the organisation (not "le sommet du Conseil européen à Bruxelles": a meeting there)."""
        view, m, toks, q = a.view, a.m, a.toks, a.past_quote
        s = a.start_of(m)
        if coarse(m.etype) != "Organization" or toks[q].lower_ not in ("à", "au") or (c := a.at(q + 1)) is None:
            return
        if (s == view.sent.start or toks[s - 1].lower_ not in ("de", "du", "des", "d'", "d’") or q > a.e) \
                and c.etype == "City" and toks[q + 1].head.i in range(s - 2, q) and toks[q + 1].dep_ == "nmod":
            self._emit(view, m, "locatedIn", c, "place:à")

    def _org_comma_a_city(self, a: _After) -> None:
        """"l'Organisme X, à Y": seated there."""
        view, m, e, toks = a.view, a.m, a.e, a.toks
        if coarse(m.etype) == "Organization" and a.nxt.text == "," and e + 2 < view.sent.end \
                and toks[e + 1].lower_ == "à" and (c := a.at(e + 2)) is not None \
                and coarse(c.etype) == "Place" and c.etype not in ("Country", "Continent", "Region"):
            self._emit(view, m, "locatedIn", c, "apposition:locatedIn")

    def _class_noun_places(self, view: _SentenceView) -> None:
        """"les villes ukrainiennes de X et Y", "la région russe de Z": each named place is in the country."""
        toks = view.seg.toks
        for i in range(view.sent.start, view.sent.end):
            if self.rules.class_nouns.get(view.seg.lemma_lows[i]) not in ("City", "Region") or i in view.tok2m:
                continue
            t = toks[i]
            countries = [a for c in t.children if c.dep_ == "amod" and (a := self._adjective_mention(c, view.base))]
            if not countries:
                continue
            for c in t.children:
                if c.dep_ == "nmod" and prep(c) == "de":
                    for x in self.refs([c], view):
                        if coarse(x.etype) == "Place":
                            self._emit(view, x, "locatedIn", countries[0], f"class-noun:{t.lemma_.lower()}")

    def scene_rules(self, view: _SentenceView) -> None:
        """"Au Canada, l'association X s'est mobilisée": an organisation acting in a country it is said to act in
        (the country an adverbial of the verb whose subject the organisation is) operates there."""
        toks = view.seg.toks
        for i in range(view.sent.start, view.sent.end):
            place = view.tok2m.get(i)
            if place is None or place.etype not in ("Country", "Region") or toks[i].dep_ not in ("obl", "obl:mod") \
                    or prep(toks[i]) not in ("en", "au", "aux", "à", "dans"):
                continue
            verb = toks[i].head
            if verb.pos_ not in ("VERB", "AUX") or negated_or_alleged(verb, self.rules) \
                    or future_only(verb, self.rules):
                continue
            # "Une marche organisée par l'association X a eu lieu en Argentine": the agent acted there too
            actors = subject_tokens(verb) + ([c for c in verb.children if prep(c) == "par"] if is_passive(verb) else [])
            for s in self.refs(actors, view):
                if coarse(s.etype) == "Organization":
                    self._emit(view, s, "operatesIn", place, "scene:operatesIn")
        place = self._opening_place(view)
        if place is None:
            return
        for i, m in view.tok2m.items():  # "Au Togo, Mme X, membre de l'association Y, a été agressée"
            if coarse(m.etype) == "Organization" and m.etype != "InternationalOrganization" \
                    and view.tok2m.get(toks[i].head.i) is not m and self._in_subject(toks[i]) \
                    and not negated_or_alleged(toks[i], self.rules):
                self._emit(view, m, "operatesIn", place, "scene:operatesIn")

    def _opening_place(self, view: _SentenceView) -> Mention | None:
        """The place a sentence opens on, before its first comma: "Au Guatemala, …", "Le 3 mai à Lima, …"."""
        toks, tok2m = view.seg.toks, view.tok2m
        comma = next((j for j in range(view.sent.start, min(view.sent.end, view.sent.start + 12))
                      if toks[j].text == ","), None)
        if comma is None or comma - 1 not in tok2m:
            return None
        place = tok2m[comma - 1]
        j = comma - 1
        while j > view.sent.start and tok2m.get(j - 1) is place:
            j -= 1
        if coarse(place.etype) != "Place" or j == view.sent.start \
                or toks[j - 1].lower_ not in ("à", "au", "aux", "en"):
            return None
        if any(t in tok2m and tok2m[t] is not place for t in range(view.sent.start, j)):
            return None  # "Après la Russie, au Mali, …": not one scene
        return place

    @staticmethod
    def _in_subject(tok: Token) -> bool:
        """The token is inside the subject (or the passive agent) of its sentence's main verb, through names,
        appositions and complements only: "Mme X, membre de l'association Y, a été agressée"."""
        t, hops = tok, 0
        while t.head.i != t.i and hops < 6:
            if t.head.head.i == t.head.i:  # t hangs off the root
                return t.dep_ in ("nsubj", "nsubj:pass", "obl:agent")
            if t.dep_ not in ("nmod", "appos", "flat:name", "conj", "amod", "acl"):
                return False
            t, hops = t.head, hops + 1
        return False

    def _place_apposition(self, view: _SentenceView, j: int) -> Mention | None:
        """The country an apposed description places a place in, from token ``j``: "Bakhmout, une ville de
        l'est de l'Ukraine", "Soumy, une ville ukrainienne", "Kidal, localité du nord du Mali"."""
        toks, end, tok2m = view.seg.toks, view.sent.end, view.tok2m
        while j < end and j not in tok2m and (toks[j].pos_ == "DET" or toks[j].pos_ == "ADJ"):
            j += 1  # "Aden, grande ville du sud du Yémen"
        if j >= end or j in tok2m or coarse(self.rules.class_nouns.get(view.seg.lemma_lows[j], "")) != "Place":
            return None
        j += 1
        while j < end and toks[j].pos_ == "ADJ" and j not in tok2m:
            if (m := self._adjective_mention(toks[j], view.base)) is not None and m.etype == "Country":
                return m
            j += 1
        if j >= end or toks[j].lower_ not in ("de", "du", "d'", "d’", "en", "au"):
            return None
        return self._compass_country(view, j + 1)

    def _compass_country(self, view: _SentenceView, j: int) -> Mention | None:
        """The country named from token ``j``, straight or after a direction: "(le) Mali", "le nord du Mali"."""
        toks, end, tok2m = view.seg.toks, view.sent.end, view.tok2m
        for step in range(2):
            if step:  # after a direction: "de", then the country
                if j >= end or toks[j].lower_ not in ("de", "du", "d'", "d’"):
                    return None
                j += 1
            j = _past_determiners(toks, j, end)
            b = tok2m.get(j)
            if b is not None:
                return b if b.etype == "Country" else None
            if j >= end or norm(toks[j].text) not in self.rules.compass_words:
                return None
            j += 1
        return None

    # ---- driver ------------------------------------------------------------------------------
    def _record_subjects(self, view: _SentenceView) -> None:
        for t in view.tokens:
            if t.dep_ in ("nsubj", "nsubj:pass") and t.lower_ not in ("qui", "que", "ce", "on", "cela", "ça"):
                m = self.ref(t, view) if t.lower_ not in _PERSONAL else self._pronoun(t, view)
                g = (t.morph.get("Gender") or [None])[0]
                n = (t.morph.get("Number") or [None])[0]
                view.subjects.append((t.i, g, n, m))

    def _descriptions(self, sd: Doc, base: int, tok2m: dict[int, Mention]) -> None:
        for s, e, gids in description_matches(self._segment(sd), self.lex):
            if any(i in tok2m for i in range(s, e)):
                continue
            before = [m for m in self.recent + sorted({id(x): x for x in tok2m.values()}.values(),
                                                      key=lambda x: x.start)
                      if m.gaz_id in gids and m.start < base + sd[s].idx]
            if not before:
                continue
            target = before[-1]
            m = self._mention(sd, base, s, e, target.name, target.etype, target.gaz_id, "description")
            for i in range(s, e):
                tok2m[i] = m

    def _demonstratives(self, sd: Doc, base: int, tok2m: dict[int, Mention]) -> None:
        """"Ce mouvement, financé par l'Iran", "opérer dans ce pays": a demonstrative before a class noun points
        back to the last actor of the noun's kind (a country for "pays", any organisation for "mouvement").
        Only in the singular: "ces régions" are several."""
        seg, nouns = self._segment(sd), self.rules.class_nouns
        for i in [i for i, lemma in enumerate(seg.lemma_lows) if lemma in nouns and i not in tok2m]:
            t, kind = seg.toks[i], nouns[seg.lemma_lows[i]]
            if t.pos_ != "NOUN" or (i + 1 < len(seg.toks) and (i + 1 in tok2m or seg.toks[i + 1].text in _QUOTES)):
                continue
            kids = list(t.children)
            dets = [c for c in kids if c.dep_ == "det"]
            demonstrative = any(c.lower_ in _DEMONSTRATIVES for c in dets)
            # "l'association" alone, after "l'association « X »": the one the text introduced with that noun
            definite = any(c.lower_ in ("l'", "l’", "la", "le") for c in dets) \
                or (i > 0 and seg.lowers[i - 1] in ("du", "au"))  # "du groupe": "de" + "le"
            if not demonstrative and not (definite and kind in ("Organization", "Company", "Country")):
                continue
            if any(c.dep_ in ("appos", "flat:name", "nmod") and c.i > i for c in kids) \
                    or "Plur" in t.morph.get("Number"):
                continue
            fits = (lambda m: m.etype == kind) if coarse(kind) == "Place" else \
                (lambda m: coarse(m.etype) == coarse(kind))
            here = base + t.idx
            before = [m for m in self.mentions if fits(m)] + sorted(
                (m for m in {id(x): x for x in tok2m.values()}.values() if m.start < here and fits(m)),
                key=lambda m: m.start)
            if not demonstrative and kind == "Country":  # "le pays": the country the text is about so far
                counts = Counter(m.name for m in before)
                before = [m for m in before if counts[m.name] == max(counts.values())]
            elif not demonstrative:  # only an actor the text introduced with this very noun
                text, noun = self.document.text, seg.lemma_lows[i]
                named = {m.name for m in before if noun in norm(text[max(0, m.start - 15):m.start + len(noun)])}
                before = [m for m in before if m.name in named]
            if before:
                target = before[-1]
                # the target's own resolution key goes along ("ner|geo:…"): the same actor, not a namesake
                key = target.source.split("|", 1)[1] if "|" in target.source else None
                tok2m[i] = self._mention(sd, base, i, i + 1, target.name, target.etype, target.gaz_id,
                                         "demonstrative" if key is None else f"demonstrative|{key}")

    def run(self, parsed: list[Doc]) -> None:
        read = []
        for seg, sd in zip(self.document.segments, parsed):
            self._seg = segment = Segment.of(sd, seg.text)
            read.append((seg, sd, segment, self._segment_mentions(segment, seg.start)))
        self._repeat_acronyms(read)
        # the whole document's names are known before any relation is read: one name, one actor
        same = one_actor_per_name(list({id(m): m for *_, t in read for m in t.values()}.values()))
        for seg, sd, segment, tok2m in read:
            self._seg = segment
            tok2m = {i: same.get(m, m) for i, m in tok2m.items()}
            self._descriptions(sd, seg.start, tok2m)
            self._demonstratives(sd, seg.start, tok2m)
            by_sent: list[dict[int, Mention]] = [{} for _ in segment.sents]
            for i, m in tok2m.items():  # each sentence's mentions, in one pass over the segment's
                by_sent[bisect_right(segment.sent_starts, i) - 1][i] = m
            for sent, text, in_sent in zip(segment.sents, segment.sent_texts, by_sent):
                key = norm(text)
                if key in self._seen_sentences:
                    continue
                self._seen_sentences.add(key)
                sent_ms = sorted({id(m): m for m in in_sent.values()}.values(), key=lambda m: m.start)
                view = _SentenceView(sent, seg.start, in_sent, segment, text)
                self._record_subjects(view)
                first = len(self.relations)
                self.verb_rules(view)
                self.noun_rules(view)
                self.title_rules(view)
                self.body_rules(view)
                self.surface_rules(view)
                self.scene_rules(view)
                self.model_rules(view, first)
                self.history.append(view.subjects)
                self.mentions.extend(sent_ms)
                self.recent.extend(m for m in sent_ms if m.gaz_id)


def extract(document: Document, parsed: list[Doc], lex: Lexicon) -> tuple[list[Mention], list[Relation]]:
    """Mentions and relations of one parsed document."""
    ex = DocumentExtractor(document, lex)
    ex.run(parsed)
    return ex.mentions, ex.relations


def extract_with_candidates(document: Document, parsed: list[Doc], lex: Lexicon
                            ) -> tuple[list[Mention], list[Relation], list[tuple[Candidate, str, int]]]:
    """As ``extract``, plus every candidate pair with its features, sentence and sentence offset (training)."""
    ex = DocumentExtractor(document, lex, collect=True)
    ex.run(parsed)
    return ex.mentions, ex.relations, ex.candidates
