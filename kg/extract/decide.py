"""The learned decision: for each candidate pair, one of the ten predicates (with its direction) or none.

The model is a data file (``kg/data/relations-model.json``, rebuilt by ``kg train``): a multinomial
logistic regression stored as its classes, its intercepts and, for each feature, its non-zero weights,
rounded so the file is small and the same training gives the same bytes. Applying it is a sparse dot
product and a softmax in plain Python, in a fixed order, so the same input gives the same confidence on
any machine.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from kg.errors import E_DATA, KgError
from kg.lexicon import PREDICATES

# What each predicate accepts, by coarse type: (subjects, objects). A decision whose arguments do not
# fit is wrong, not the ontology: "PDG de Paris" is not a relation.
SIGNATURE = {
    "funds": ({"Person", "Organization", "Place"}, {"Person", "Organization", "Place"}),
    "supports": ({"Person", "Organization", "Place"}, {"Person", "Organization", "Place"}),
    "opposes": ({"Person", "Organization", "Place"}, {"Person", "Organization", "Place"}),
    "attacks": ({"Person", "Organization", "Place"}, {"Person", "Organization", "Place"}),
    "commands": ({"Person", "Organization"}, {"Organization"}),
    "leads": ({"Person", "Organization"}, {"Organization", "Place"}),
    "memberOf": ({"Person", "Organization", "Place"}, {"Organization"}),
    "partOf": ({"Organization", "Place"}, {"Organization", "Place"}),
    "locatedIn": ({"Organization", "Place"}, {"Place"}),
    "operatesIn": ({"Person", "Organization"}, {"Place"}),
}
NONE = "none"
CLASSES = (NONE,) + tuple(f"{p}{d}" for p in PREDICATES for d in (">", "<"))
MODEL_FILE = Path(__file__).resolve().parent.parent / "data" / "relations-model.json"


@dataclass(frozen=True)
class Decision:
    predicate: str
    forward: bool  # the first mention (in text order) is the subject
    confidence: float


@dataclass
class RelationModel:
    """A trained decision: ``decide(features)`` gives the best predicate and its probability, or None."""

    name: str
    version: str
    classes: tuple[str, ...]
    intercept: list[float]
    weights: dict[str, list[tuple[int, float]]]
    min_confidence: float  # the default cut, chosen on held-out data
    rule_confidence: float  # the measured precision of the rule tables, given to rule-decided statements
    card: dict

    @property
    def rule_id(self) -> str:
        return f"model:{self.name}-{self.version}"

    def __post_init__(self) -> None:
        """The weights as a dense matrix (one row per feature) for a fast, fixed-order product."""
        self._row = {f: n for n, f in enumerate(sorted(self.weights))}
        self._matrix = np.zeros((len(self._row) + 1, len(self.classes)))
        for f, ws in self.weights.items():
            for c, w in ws:
                self._matrix[self._row[f], c] = w
        self._bias = np.asarray(self.intercept, dtype=float)

    def probabilities(self, features: dict[str, float]) -> list[float]:
        idx, vals, row = [], [], self._row
        for f, v in features.items():
            r = row.get(f)
            if r is not None:
                idx.append(r)
                vals.append(v)
        scores = self._bias + np.dot(vals, self._matrix.take(idx, axis=0)) if idx else self._bias.copy()
        top = float(scores.max())
        exps = [math.exp(s - top) for s in scores.tolist()]
        total = math.fsum(exps)
        return [e / total for e in exps]

    def decide(self, features: dict[str, float], cut: float | None = None) -> Decision | None:
        """The likeliest predicate the two mentions' types allow, if its probability reaches ``cut``
        (default: the model's own, chosen on held-out data)."""
        probs = self.probabilities(features)
        ok = allowed_classes(features)
        total = sum(p for c, p in enumerate(probs) if ok[c])
        best = max((c for c in range(1, len(probs)) if ok[c]), key=lambda c: (probs[c], -c), default=None)
        if best is None or not total:
            return None
        confidence = probs[best] / total
        if confidence < (self.min_confidence if cut is None else cut):
            return None
        label = self.classes[best]
        return Decision(label[:-1], label[-1] == ">", round(confidence, 3))

    def to_json(self) -> str:
        data = {"name": self.name, "version": self.version, "classes": list(self.classes),
                "min_confidence": self.min_confidence, "rule_confidence": self.rule_confidence,
                "intercept": self.intercept,
                "weights": {f: [[c, w] for c, w in ws] for f, ws in sorted(self.weights.items())},
                "card": self.card}
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def allowed_classes(features: dict[str, float]) -> list[bool]:
    """Which classes the candidate's two types allow (its features carry them as ``ta=`` and ``tb=``)."""
    ta = next((f[3:] for f in features if f.startswith("ta=")), None)
    tb = next((f[3:] for f in features if f.startswith("tb=")), None)
    return _allowed(ta, tb)


@lru_cache(maxsize=64)
def _allowed(ta: str | None, tb: str | None) -> list[bool]:
    out = []
    for label in CLASSES:
        if label == NONE:
            out.append(True)
            continue
        p, forward = label[:-1], label[-1] == ">"
        s, o = (ta, tb) if forward else (tb, ta)
        subs, objs = SIGNATURE[p]
        out.append(s in subs and o in objs and not (p in ("commands", "leads") and s == "Organization"
                                                     and o == "Place"))
    return out


def load_model(path: str | Path | None = None) -> RelationModel | None:
    """The model in ``path`` (default: the shipped one); None if the default file is absent (rules only)."""
    p = Path(path) if path else MODEL_FILE
    if not p.is_file():
        if path:
            raise KgError(f"no relation model at {path}")
        return None
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
        return RelationModel(name=d["name"], version=str(d["version"]), classes=tuple(d["classes"]),
                             intercept=[float(x) for x in d["intercept"]],
                             weights={f: [(int(c), float(w)) for c, w in ws] for f, ws in d["weights"].items()},
                             min_confidence=float(d["min_confidence"]), rule_confidence=float(d["rule_confidence"]),
                             card=d.get("card", {}))
    except (ValueError, KeyError, TypeError) as exc:
        raise KgError(E_DATA.format(path=p, line=1, detail=f"not a kg relation model ({exc})")) from None
