"""Benchmark: `kg build` throughput against a bare `nlp.pipe` loop over the same texts, same model.

    python bench/throughput.py [--docs 200] [--workers 2]

The texts are the seed articles, copied ``--docs`` times with a numbered line
added so every copy is a distinct document (no cache is used). Three runs, side by
side, in one process with the model and the rules already loaded (set-up is not throughput):

1. bare: ``for _ in nlp.pipe(segments, batch_size=128): pass`` over exactly the
   segments kg parses (after boilerplate removal), the whole pipeline;
1b. the same loop without the components kg disables (``kg.nlp.UNUSED``), so the printout
   shows how much of the ratio comes from skipping them and how much the extraction costs;
2. kg, one process: ``kg.pipeline.build`` (read, parse, extract, resolve, RDF graph);
3. kg, ``--workers`` spaCy processes.

Runs 1 and 2 alternate ``--repeat`` times (5); the ratio is the median over the pairs of
(bare run / the kg run right after it), so a slow minute of a shared machine weighs on both
sides of a pair. Prints words per second and the ratios kg/bare and 2-workers/1-worker.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.ingest import read_documents  # noqa: E402
from kg.lexicon import load_lexicon  # noqa: E402
from kg.nlp import BATCH_SIZE, UNUSED, load_model  # noqa: E402
from kg.pipeline import build  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def corpus(n: int, folder: Path) -> list[str]:
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    paths = []
    for i in range(n):
        src = seeds[i % len(seeds)]
        p = folder / f"{i:05d}_{src.name}"
        p.write_text(src.read_text(encoding="utf-8") + f"\nCopie numéro {i}.\n", encoding="utf-8")
        paths.append(str(p))
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5, help="interleaved runs of bare and kg (medians)")
    args = ap.parse_args()
    nlp = load_model()
    with tempfile.TemporaryDirectory() as tmp:
        paths = corpus(args.docs, Path(tmp))
        docs = [d for d in read_documents(paths, load_lexicon().boilerplate) if not isinstance(d, Exception)]
        segments = [s.text for d in docs for s in d.segments]
        words = sum(len(s.split()) for s in segments)
        lex = load_lexicon()  # set-up, not throughput: the rules are loaded once, as the model is for both loops
        build(paths[:2], lexicon=lex)  # warm-up: phrase matcher, caches
        bares, kgs, trimmed = [], [], []
        relations = 0
        for _ in range(args.repeat):  # interleaved, so a slower minute of a shared machine hits both
            gc.collect()  # each run starts from the same heap: the previous run's garbage is not its cost
            t = time.perf_counter()
            for _ in nlp.pipe(segments, batch_size=BATCH_SIZE):
                pass
            bares.append(time.perf_counter() - t)
            gc.collect()
            t = time.perf_counter()
            for _ in nlp.pipe(segments, batch_size=BATCH_SIZE, disable=list(UNUSED)):
                pass
            trimmed.append(time.perf_counter() - t)
            gc.collect()
            t = time.perf_counter()
            relations = len(build(paths, lexicon=lex).relations)  # the result is dropped, as the bare loop's
            kgs.append(time.perf_counter() - t)
        bare, kg1 = statistics.median(bares), statistics.median(kgs)
        # each kg run against the bare run just before it: a shared machine's slow minute hits both of a pair
        ratio = statistics.median(b / k for b, k in zip(bares, kgs))
        gc.collect()
        t = time.perf_counter()
        two = build(paths, lexicon=lex, workers=args.workers)
        kg2 = time.perf_counter() - t
    assert relations == len(two.relations)
    print(f"{len(docs)} documents, {len(segments)} segments, {words} words; model {nlp.meta['name']} "
          f"{nlp.meta['version']}")
    print(f"runs (s): bare {' '.join(f'{x:.1f}' for x in bares)} | kg {' '.join(f'{x:.1f}' for x in kgs)}")
    print(f"{'bare nlp.pipe':32}{bare:8.1f} s {words / bare:9.0f} words/s")
    trim = statistics.median(trimmed)
    print(f"{'bare, without ' + '+'.join(UNUSED):32}{trim:8.1f} s {words / trim:9.0f} words/s   "
          f"(kg disables it: no rule reads it); kg against this loop: "
          f"{statistics.median(t / k for t, k in zip(trimmed, kgs)):.2f}")
    print(f"{'kg build, 1 process':32}{kg1:8.1f} s {words / kg1:9.0f} words/s   ratio to bare: {ratio:.2f} "
          f"(median of the {len(kgs)} pairs; ratio of the medians {bare / kg1:.2f})")
    print(f"{f'kg build, {args.workers} spaCy processes':32}{kg2:8.1f} s {words / kg2:9.0f} words/s   "
          f"speed-up over 1 process: {kg1 / kg2:.2f}")


if __name__ == "__main__":
    main()
