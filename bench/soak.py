"""Soak run: build 2,000 files of which 10% are hostile, in one command, and check what comes out.

    python bench/soak.py [--files 2000] [--hostile 0.1] [--store]

The sound files are bench/corpus.py articles. The hostile ones cycle through the kinds in
tests/data/hostile/ (empty, binary, UTF-16, cp1252, BOM, CRLF, stray NULs, broken UTF-8, markup
and IRI-breaking names, bidi and line-separator characters, HTML pages, JSONL with bad lines),
each made distinct, plus generated articles whose actors are named with hostile characters.
Runs `kg build DIR --out OUT` (or `--store`) as a user would, then reports: files given, documents
read, files skipped by reason, triples written, and whether the graph parses (rdflib and
pyoxigraph), conforms to the shapes and renders with no article text turned into markup.
"""

from __future__ import annotations

import argparse
import collections
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus import articles  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "data" / "hostile"
NAMES = ['<script>alert("x")</script>', "Jean <img src=x onerror=alert(1)> Dupont", "Ali \u202eevil\u202c Ben",
         "Marc « <http://evil> # ; . » Durand", "👩‍🚀 Léa Martin", "שלום Cohen", "Paul\u2028Roy", "Zoé\u0085Blanc",
         "A" * 3000, "Éric Le-Mañé", "E\u0301ric Le-Man\u0303e\u0301"]


def hostile_files(n: int, folder: Path, rng: random.Random) -> list[Path]:
    kinds = sorted(p for p in HOSTILE.iterdir() if p.name != "README.md")
    out = []
    k = 0  # the next kind of hostile file, cycled through all of them
    for i in range(n):
        if i % 3 == 2:  # a generated article whose actors carry hostile names
            name = rng.choice(NAMES)
            text = (f"Titre {i}\n\n{name}, président de la Fondation {name}, a annoncé que la Fondation {name} "
                    f"soutient l'Ukraine. {name} dirige le groupe Wagner depuis 2019 selon la presse.\n")
            p = folder / f"h{i:05d}-names.txt"
            p.write_text(text, encoding="utf-8")
        else:
            src = kinds[k % len(kinds)]
            k += 1
            raw = src.read_bytes()
            if src.suffix == ".txt" and raw and b"\x00" not in raw[:64] and not raw.startswith(b"\xff\xfe"):
                raw = raw + f"\nVariante {i}.\n".encode("utf-8")  # distinct text (same encoding family)
            elif src.suffix == ".html":
                raw = raw.replace(b"</body>", f"<p>Variante {i}.</p></body>".encode())
            elif src.suffix == ".jsonl":
                raw = raw.replace(b'"id": "ok"', f'"id": "ok{i}"'.encode()).replace(
                    "février.".encode(), f"février, variante {i}.".encode())
            p = folder / f"h{i:05d}-{src.name}"
            p.write_bytes(raw)
        out.append(p)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--hostile", type=float, default=0.1)
    ap.add_argument("--store", action="store_true", help="build into a store instead of --out files")
    args = ap.parse_args()
    rng = random.Random(3)
    n_bad = int(args.files * args.hostile)
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in", Path(tmp) / "out"
        src.mkdir()
        for i, text in enumerate(articles(args.files - n_bad, seed=7)):
            (src / f"a{i:05d}.txt").write_text(text, encoding="utf-8")
        hostile_files(n_bad, src, rng)
        (src / "loop").symlink_to(src, target_is_directory=True)
        (src / "dangling.txt").symlink_to(src / "nowhere.txt")
        target = ["--store", str(Path(tmp) / "store")] if args.store else ["--out", str(out)]
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "kg.cli", "build", str(src), *target, "--workers", "2"],
                              capture_output=True, text=True)
        wall = time.perf_counter() - t
        skips = [line for line in proc.stderr.splitlines() if line.startswith("kg: skipped:")]
        reasons = collections.Counter(re.sub(r"\(.*\)", "(...)", s.split(": ", 3)[3]) for s in skips)
        print(f"files given: {args.files} ({n_bad} hostile) + a symlink loop and a dangling link; "
              f"kg build exit {proc.returncode} in {wall:.0f} s")
        print(f"summary: {proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-300:]}")
        print(f"skipped: {len(skips)}")
        for reason, n in reasons.most_common():
            print(f"  {n:5d}  {reason}")
        other = [line for line in proc.stderr.splitlines() if line and not line.startswith("kg: skipped:")]
        print(f"other messages on stderr: {len(other)}" + (f" (first: {other[0][:200]})" if other else ""))
        if args.store:
            export = subprocess.run([sys.executable, "-m", "kg.cli", "export", str(Path(tmp) / "store"), "--format",
                                     "turtle", "--out", str(Path(tmp) / "store.ttl")], capture_output=True, text=True)
            assert export.returncode == 0, export.stderr
            ttl, html_path = Path(tmp) / "store.ttl", None
        else:
            ttl, html_path = out / "graph.ttl", out / "graph.html"
        import pyoxigraph as ox
        from rdflib import Graph

        from kg.validate import validate

        data = ttl.read_bytes()
        g = Graph().parse(data=data.decode("utf-8"), format="turtle")
        n_ox = len(list(ox.parse(data, format=ox.RdfFormat.TURTLE)))
        violations = validate(g)
        print(f"triples written: {len(g)}; rdflib parses it: yes; pyoxigraph parses it: "
              f"{'yes' if n_ox == len(g) else f'no ({n_ox})'}; SHACL: "
              f"{'conforms' if not violations else f'{len(violations)} violation(s), first {violations[0]}'}")
        if html_path is None:
            from kg.render import render_html

            html = render_html(g)
        else:
            html = html_path.read_text(encoding="utf-8")
        leaks = [raw for raw in ("<script>alert", "<img src=x", "<http://evil>", "<b>gras</b>") if raw in html]
        print(f"HTML: {len(html) / 1e6:.1f} MB, article text turned into markup: {leaks or 'none'}")


if __name__ == "__main__":
    main()
