"""Relation quality, cross-validated by document, scored by the team's own scorers.

    python bench/quality.py [--shared ../shared] [--folds 5] [--cuts 0.5,0.6,0.7] [--write-readme]

For each annotated set (the development news texts, POPCORN's train half) the documents are dealt into
folds (kg.train.folds). For each fold a model is fitted on the candidates of every other fold, of both
sets (kg.train.fit, the code `kg train` runs), and the fold's documents are extracted with it: rules
first, the model for the pairs the rules leave. The graph of all the set's documents, each extracted by
a model that never saw it, is then scored unchanged by ``shared/eval/score.py`` (news) and
``shared/popcorn/score_popcorn.py`` (POPCORN, named actors, lenient), at each confidence cut; the
rules alone are scored the same way, as the baseline. Nothing here is a figure on training data.

With ``--write-readme`` the per-predicate table of the default cut replaces the one between the
``<!-- quality:start -->`` / ``<!-- quality:end -->`` markers of README.md.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.export import serialize  # noqa: E402
from kg.extract.decide import load_model  # noqa: E402
from kg.extract.relations import extract  # noqa: E402
from kg.lexicon import PREDICATES, load_lexicon  # noqa: E402
from kg.pipeline import _assemble  # noqa: E402
from kg.train import build_corpus, fit, folds  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def graph_of(corpus, lex_of_doc) -> bytes:
    """The Turtle of a set's documents, each extracted with the lexicon (rules, and a model) given for it."""
    items = []
    for key, doc, parsed in corpus.documents:
        ms, rs = extract(doc, parsed, lex_of_doc(key))
        items.append((doc, ms, rs))
    return serialize(_assemble(items, lex_of_doc(None)).graph, "turtle")


def score_news(shared: Path, gold: Path, ttl: bytes) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".ttl") as fh:
        fh.write(ttl)
        fh.flush()
        out = subprocess.run([sys.executable, str(shared / "eval" / "score.py"), str(gold), fh.name,
                              *map(str, sorted((ROOT / "ontology").glob("*.ttl"))), "--by-predicate"],
                             capture_output=True, text=True, check=True).stdout
    res = {"by": {}}
    for line in out.splitlines():
        m = re.match(r"(\w+)\s+(\d+)/(\d+)\s+([\d.]+)\s+(\d+)/(\d+)\s+([\d.]+)", line)
        if m:
            res["by"][m.group(1)] = {"found": int(m.group(2)), "gold": int(m.group(3)),
                                     "correct": int(m.group(5)), "extracted": int(m.group(6))}
        m = re.search(r"relations P ([\d.]+) R ([\d.]+) F1 ([\d.]+) \((\d+)/(\d+) gold, (\d+) extracted\)", line)
        if m:
            res.update(p=float(m.group(1)), r=float(m.group(2)), f1=float(m.group(3)), found=int(m.group(4)),
                       gold=int(m.group(5)), extracted=int(m.group(6)))
        m = re.search(r"entities P ([\d.]+) R ([\d.]+) F1 ([\d.]+) split (\d+)", line)
        if m:
            res["entities"] = line.split("|")[0].strip()
    return res


def score_popcorn(shared: Path, data: Path, ttl: bytes) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".ttl") as fh:
        fh.write(ttl)
        fh.flush()
        out = subprocess.run([sys.executable, str(shared / "popcorn" / "score_popcorn.py"), "score", str(data), fh.name],
                             capture_output=True, text=True, check=True).stdout
    named = out[out.index("## Relations, named"):]
    res = {"by": {}}
    for line in named.splitlines():
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if len(cells) == 9 and cells[0] and cells[1].isdigit():
            key = "overall" if cells[0].startswith("overall") else cells[0].split()[0]
            res["by"][key] = {"gold": int(cells[1]), "pred": int(cells[2]), "p": float(cells[3]),
                              "r": float(cells[4]), "f1": float(cells[5])}
        if line.startswith("## ") and "Relations, named" not in line:
            break
    o = res["by"].get("overall", {})
    res.update(p=o.get("p", 0.0), r=o.get("r", 0.0), f1=o.get("f1", 0.0))
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--cuts", default="")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "kg-quality-parses"))
    ap.add_argument("--write-readme", action="store_true")
    ap.add_argument("--c", type=float, default=None, help="regularisation (default: kg train's)")
    ap.add_argument("--balanced", action="store_true", help="weigh classes by their inverse frequency")
    args = ap.parse_args()
    shared = Path(args.shared)
    dev_gold, dev_texts = shared / "eval" / "dev.gold.yaml", shared / "eval" / "dev"
    popcorn = ROOT / "training" / "popcorn" / "train.json"
    t0 = time.time()
    rules = load_lexicon(rules_only=True)
    shipped = load_model()
    default_cut = shipped.min_confidence if shipped else 0.5
    cuts = [float(c) for c in args.cuts.split(",") if c] or sorted({default_cut, 0.4, 0.5, 0.6, 0.7, 0.8})
    corpora = {"dev": build_corpus("dev", "annotated", (dev_gold, dev_texts), rules, cache_dir=args.cache,
                                   keep_parses=True),
               "popcorn": build_corpus("popcorn", "popcorn", popcorn, rules, cache_dir=args.cache, keep_parses=True)}
    fold_of = {}
    for name, cc in corpora.items():
        fold_of.update({f"{name}:{k}": f for k, f in folds((key for key, _, _ in cc.documents), args.folds).items()})
    examples = [e for cc in corpora.values() for e in cc.examples]
    kw = {"c": args.c} if args.c is not None else {}
    models = [fit([e for e in examples if fold_of[e.doc] != f], balanced=args.balanced, **kw)
              for f in range(args.folds)]
    print(f"# cross-validated by document, {args.folds} folds; {len(examples)} candidates; "
          f"set-up {time.time() - t0:.0f} s", flush=True)
    results = {}
    for name, cc in corpora.items():
        scorer = (lambda ttl: score_news(shared, dev_gold, ttl)) if name == "dev" else \
            (lambda ttl: score_popcorn(shared, popcorn, ttl))
        results[(name, "rules")] = scorer(graph_of(cc, lambda key: rules))
        for cut in cuts:
            lexes = [replace(rules, model=m, min_confidence=cut) for m in models]
            res = scorer(graph_of(cc, lambda key, n=name: rules if key is None else lexes[fold_of[f"{n}:{key}"]]))
            results[(name, cut)] = res
        for k in ["rules"] + cuts:
            r = results[(name, k)]
            print(f"{name:8} {'rules only' if k == 'rules' else f'cut {k:.2f}':>10}: P {r['p']:.2f} R {r['r']:.2f} "
                  f"F1 {r['f1']:.2f}" + (f" ({r['found']}/{r['gold']} gold, {r['extracted']} extracted)"
                                         if name == "dev" else ""), flush=True)
    table = readme_table(results, default_cut, cuts)
    print()
    print(table)
    if args.write_readme:
        readme = ROOT / "README.md"
        text = readme.read_text(encoding="utf-8")
        start, end = "<!-- quality:start -->", "<!-- quality:end -->"
        if start in text and end in text:
            text = text[:text.index(start) + len(start)] + "\n" + table + "\n" + text[text.index(end):]
            readme.write_text(text, encoding="utf-8")
            print("README.md updated")
    print(f"# {time.time() - t0:.0f} s in all")
    return 0


def readme_table(results: dict, cut: float, cuts: list[float]) -> str:
    dev, dev_rules = results[("dev", cut)], results[("dev", "rules")]
    pc, pc_rules = results[("popcorn", cut)], results[("popcorn", "rules")]
    lines = [f"Cross-validated by document (5 folds; each document extracted by a model fitted without it), at the "
             f"default cut {cut}; scored by `shared/eval/score.py` and `shared/popcorn/score_popcorn.py` (named "
             "actors, lenient). Rules alone in brackets.", "",
             "| news dev set (48 texts) | gold | recall | precision |", "|---|---|---|---|"]
    for p in PREDICATES:
        d, b = dev["by"].get(p.lower(), {}), dev_rules["by"].get(p.lower(), {})
        if not d:
            continue
        rp = d["correct"] / d["extracted"] if d["extracted"] else 0.0
        lines.append(f"| {p} | {d['gold']} | {d['found'] / d['gold'] if d['gold'] else 0:.2f} "
                     f"({b.get('found', 0) / b['gold'] if b.get('gold') else 0:.2f}) | {rp:.2f} "
                     f"({b.get('correct', 0) / b['extracted'] if b.get('extracted') else 0:.2f}) |")
    lines.append(f"| **all** | {dev['gold']} | **{dev['r']:.2f}** ({dev_rules['r']:.2f}) | **{dev['p']:.2f}** "
                 f"({dev_rules['p']:.2f}) |")
    lines += ["", f"News dev set: relation F1 **{dev['f1']:.2f}** (rules alone {dev_rules['f1']:.2f}). "
                  f"POPCORN train half: relation F1 **{pc['f1']:.2f}** (P {pc['p']:.2f}, R {pc['r']:.2f}; "
                  f"rules alone {pc_rules['f1']:.2f}).", "",
              "| POPCORN family (named, lenient) | gold | predicted | P | R | F1 |", "|---|---|---|---|---|---|"]
    for fam, c in pc["by"].items():
        lines.append(f"| {fam} | {c['gold']} | {c['pred']} | {c['p']:.2f} | {c['r']:.2f} | {c['f1']:.2f} |")
    lines += ["", "By cut (`--min-confidence`):", "",
              "| cut | news P | news R | news F1 | POPCORN P | POPCORN R | POPCORN F1 |", "|---|---|---|---|---|---|---|"]
    for k in ["rules"] + cuts:
        d, q = results[("dev", k)], results[("popcorn", k)]
        name = "rules alone" if k == "rules" else f"{k:.2f}" + (" (default)" if k == cut else "")
        lines.append(f"| {name} | {d['p']:.2f} | {d['r']:.2f} | {d['f1']:.2f} | {q['p']:.2f} | {q['r']:.2f} | "
                     f"{q['f1']:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
