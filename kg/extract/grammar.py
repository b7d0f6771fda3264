"""Grammar on spaCy's dependency parse, shared by the relation rules: prepositions, subjects through
infinitives and relative clauses, passive voice, negation and hearsay, coordination, amounts of money.

Pure functions of tokens (and of the rules' word lists): no state of the document being read.
"""

from __future__ import annotations

import re

from spacy.tokens import Token

from kg.lexicon import Rules, norm

_PERCEPTION = {"voir", "laisser", "faire", "entendre", "regarder", "sentir"}
_PREP_ALIASES = {"au": "à", "aux": "à", "du": "de", "des": "de", "d'": "de", "d’": "de", "l'": None}
_MONEY = re.compile(
    r"(\d+(?:[\s\u202f\u00a0.]\d{3})*(?:,\d+)?)\s*(milliards?|millions?|mille|mds?|md)?\s*(?:de\s+|d['’]\s*)?"
    r"(dollars?|euros?|livres?(?:\s+sterling)?|roubles?|hryvnias?|francs?|\$|€|£|USD|EUR|GBP)", re.I)
_MULT = {"milliard": 1e9, "milliards": 1e9, "md": 1e9, "mds": 1e9, "million": 1e6, "millions": 1e6, "mille": 1e3}
_CURRENCY = {"dollar": "USD", "$": "USD", "usd": "USD", "euro": "EUR", "€": "EUR", "eur": "EUR",
             "livre": "GBP", "£": "GBP", "gbp": "GBP", "rouble": "RUB", "hryvnia": "UAH", "franc": "CHF"}


def prep(tok: Token) -> str | None:
    """The preposition introducing a nominal ("à l'Ukraine" -> "à"), contractions expanded."""
    for c in tok.children:
        if c.dep_ in ("case", "mark") or (c.dep_ == "fixed" and c.i < tok.i):
            p = c.lower_
            return _PREP_ALIASES.get(p, p) or p
    return None


def lemma_in(tok: Token, words) -> str | None:
    """The lexicon word a token stands for, tolerating the lemmatizer's slips ("participe" for participer)."""
    lemma = tok.lemma_
    return lemma_key(lemma, lemma.lower(), tok.lower_, words)


def lemma_key(lemma: str, lemma_low: str, lower: str, words) -> str | None:
    """lemma_in on a token's strings, read once per segment."""
    for cand in (lemma, lemma_low, lemma_low + "r", lower):
        if cand in words:
            return cand
    return None


def parse_money(text: str) -> tuple[float, str] | None:
    """The first amount of money in a text: "1,1 milliard de dollars" -> (1.1e9, "USD")."""
    m = _MONEY.search(text)
    if not m:
        return None
    digits = re.sub(r"[\s\u202f\u00a0.]", "", m.group(1)).replace(",", ".")
    try:
        value = float(digits)
    except ValueError:
        return None
    value *= _MULT.get((m.group(2) or "").lower(), 1)
    unit = m.group(3).lower().split()[0].rstrip("s") if m.group(3) not in ("$", "€", "£") else m.group(3)
    return value, _CURRENCY.get(unit, unit.upper())


def expand(tok: Token) -> list[Token]:
    """A token and the tokens coordinated with it ("en Ukraine, en Syrie et en Libye")."""
    out, todo = [], [tok]
    via = prep(tok)
    while todo:
        t = todo.pop(0)
        if t in out:
            continue
        out.append(t)
        for c in t.children:
            if c.dep_ == "conj" or (c.dep_ == "nmod" and via and prep(c) == via and c.pos_ == "PROPN"
                                   and t.pos_ == "PROPN"):
                todo.append(c)
    return out


def subject_tokens(v: Token, depth: int = 0) -> list[Token]:
    """The subject of a verb or predicate, through infinitives, coordination and relatives."""
    if depth > 6:
        return []
    subj = [c for c in v.children if c.dep_ in ("nsubj", "nsubj:pass")]
    if subj:
        return subj
    if v.dep_ == "xcomp" or (v.dep_ in ("ccomp", "advcl") and "Inf" in v.morph.get("VerbForm")):
        h = v.head
        obj = [c for c in h.children if c.dep_ == "obj" and c.i < v.i]
        if obj and h.lemma_ in _PERCEPTION:
            return obj
        return subject_tokens(h, depth + 1)
    if v.dep_ == "conj":
        return subject_tokens(v.head, depth + 1)
    if v.dep_.startswith("acl"):
        h = v.head
        while h.pos_ in ("VERB", "ADJ") and (h.dep_.startswith("acl") or h.dep_ in ("amod", "conj")) \
                and h.head.i != h.i:
            h = h.head
        return [h]
    return []


def is_passive(v: Token) -> bool:
    """Passive voice, or a past participle used as a modifier ("le groupe, dirigé par X")."""
    if any(c.dep_ in ("aux:pass", "nsubj:pass") for c in v.children):
        return True
    if "Part" not in v.morph.get("VerbForm") or any(c.dep_ == "aux:tense" for c in v.children):
        return False
    if v.dep_.startswith("acl") or any(prep(c) == "par" for c in v.children):
        return True
    return v.dep_ == "conj" and v.head.i != v.i and is_passive(v.head)


def negated_or_alleged(tok: Token, rules: Rules) -> bool:
    """True if the statement is negated, denied or only alleged ("n'ont joué aucun rôle", "prétendre que"):
    its clause is in the conditional, or the word or one of its nine nearest heads carries a negation, or
    one of those heads is a denial verb. The climb stops at a subject: "Le Hamas, armé par l'Iran, refuse de
    désarmer" denies nothing about the arming (a noun trigger that is itself the subject still climbs)."""
    if alleged_conditional(tok, rules):
        return True
    t, hops = tok, 0
    while True:
        if local_negation(t, rules):
            return True
        if t.lemma_ in rules.denial_verbs and t is not tok:
            return True
        if t.head.i == t.i or hops > 8 or (t is not tok and t.dep_ in ("nsubj", "nsubj:pass")):
            return False
        t, hops = t.head, hops + 1


def future_only(tok: Token, rules: Rules) -> bool:
    """The word's clause is in the future ("deviendra membre", "sera basé", "va attaquer"): a future role or
    event is not yet a fact (announced aid is, and its rules do not ask this)."""
    verb = tok
    while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i and verb.dep_ not in ("nsubj", "nsubj:pass"):
        verb = verb.head
    if verb.pos_ not in ("VERB", "AUX"):
        return False
    forms = [verb] + [c for c in verb.children if c.dep_.startswith(("aux", "cop"))]
    if any(future_tense(t, rules) for t in forms):
        return True
    head = verb.head  # "va attaquer", "allait déployer": "aller" before an infinitive
    return verb.dep_ == "xcomp" and "Inf" in verb.morph.get("VerbForm") and head.lemma_ == "aller"


def alleged_conditional(tok: Token, rules: Rules) -> bool:
    """The clause of a word is in the conditional (and is not reported speech: "a dit qu'elle viendrait")."""
    if not rules.alleged_conditional:
        return False
    verb = tok
    while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
        verb = verb.head
    moods = set(verb.morph.get("Mood")) | {m for c in verb.children if c.dep_.startswith(("aux", "cop"))
                                          for m in c.morph.get("Mood")}
    forms = [verb] + [c for c in verb.children if c.dep_.startswith(("aux", "cop"))]
    return ("Cnd" in moods or any(conditional_form(t, rules) for t in forms)) and verb.dep_ != "ccomp"


# Parts of speech that never carry a negative polarity: their morphology (costly to read) is not looked at.
_NO_POLARITY = frozenset({"NOUN", "PROPN", "VERB", "AUX", "ADJ", "NUM", "PUNCT", "SYM", "SPACE", "X"})


def local_negation(t: Token, rules: Rules) -> bool:
    """A negation word or a negative-polarity word among a word's children."""
    for c in t.children:
        if c.pos_ in _NO_POLARITY:
            continue
        if c.dep_ in ("advmod", "det", "advmod:neg") and norm(c.text) in rules.negation_words:
            return True
        if "Neg" in c.morph.get("Polarity"):
            return True
    return False


_COND_ENDINGS = ("ais", "ait", "ions", "iez", "aient")
_FUT_ENDINGS = ("ai", "as", "a", "ons", "ez", "ont")


def future_tense(tok: Token, rules: Rules) -> bool:
    """A word in the future, by the tagger's tense or by its form."""
    return "Fut" in tok.morph.get("Tense") or future_form(tok, rules)


def future_form(tok: Token, rules: Rules) -> bool:
    """A verb in the future by its form, whatever the tagger says ("combattra" tagged a participle): its
    infinitive (less a final e) or an irregular stem (the conditional's: "ser", "aur", "deviendr"), plus a
    future ending."""
    if tok.pos_ not in ("VERB", "AUX"):
        return False
    low, lemma = tok.lower_, tok.lemma_.lower()
    for end in _FUT_ENDINGS:
        if low.endswith(end):
            stem = low[:-len(end)]
            if stem == (lemma[:-1] if lemma.endswith("re") else lemma) or stem in rules.conditional_stems:
                return True
    return False


def conditional_form(tok: Token, rules: Rules) -> bool:
    """A finite verb in the conditional by its form, whatever the tagger's Mood says: its infinitive (less a
    final e) or an irregular conditional stem, plus an imperfect ending ("protégerait", "prendrait", "serait")."""
    if tok.pos_ not in ("VERB", "AUX") or "Fin" not in tok.morph.get("VerbForm"):
        return False
    low = tok.lower_
    end = next((e for e in _COND_ENDINGS if low.endswith(e)), None)
    if end is None:
        return False
    stem, lemma = low[:-len(end)], tok.lemma_.lower()
    return stem == (lemma[:-1] if lemma.endswith("re") else lemma) or stem in rules.conditional_stems


def prep_args(v: Token, preps: tuple[str, ...], skip: set[int]) -> list[Token]:
    out = []
    for c in v.children:
        if c.i in skip:
            continue
        if prep(c) in preps and c.dep_ not in ("nsubj", "nsubj:pass"):
            out.append(c)
        elif c.dep_ in ("obl", "obl:arg", "obl:mod", "obj") and c.pos_ == "NOUN":
            out += [g for g in c.children if g.dep_ == "nmod" and prep(g) in preps]
    return out


def money_near(tok: Token) -> tuple[float, str] | None:
    top = tok
    while top.head.i != top.i and top.dep_ in ("nmod", "obj", "conj", "obl", "obl:arg") and top.head.pos_ in ("NOUN", "NUM"):
        top = top.head
    span = tok.doc[top.left_edge.i: top.right_edge.i + 1]
    return parse_money(span.text)


def continuation(n: Token) -> list[Token]:
    """Phrases that continue a noun phrase in the text but that the parser attached elsewhere:
    in "l'invasion de la Géorgie par la Russie", "par la Russie" often hangs off the verb."""
    out: list[Token] = []
    doc, edge = n.doc, n.right_edge.i
    sent_end = n.sent.end
    for _ in range(3):
        nxt = edge + 1
        if nxt >= sent_end or doc[nxt].pos_ != "ADP":
            break
        heads = [t for t in doc[nxt:sent_end] if t.left_edge.i == nxt and t.pos_ in ("NOUN", "PROPN")]
        if not heads:
            break
        phrase = max(heads, key=lambda t: t.right_edge.i)
        out += list(phrase.subtree)
        edge = phrase.right_edge.i
    return out


def governor(n: Token) -> Token | None:
    """The verb (or predicate noun) a noun trigger depends on, through nouns and coordination."""
    t, hops = n, 0
    while t.head.i != t.i and hops < 6:
        h = t.head
        if t.dep_ in ("nmod", "conj", "obj", "obl", "obl:arg", "obl:mod", "appos", "xcomp", "nsubj") \
                and h.pos_ in ("NOUN", "NUM", "PROPN") and not any(c.dep_ == "cop" for c in h.children):
            t, hops = h, hops + 1
            continue
        return h
    return t if any(c.dep_ == "cop" for c in t.children) else None
