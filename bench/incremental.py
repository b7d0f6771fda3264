"""Benchmark: adding 10 documents to a 10,000-document store, against building those 10 alone.

    python bench/incremental.py [--base STORE] [--size 10000] [--docs 10] [--repeat 3]

The base store holds the first ``--size`` documents of bench/corpus.py; give one with
``--base`` (bench/growth.py --keep DIR leaves one) or the script builds it first (that
takes a while and is not timed). The new documents come from further along the same
corpus, so they are new texts that share the corpus's recurring actors. Timed, each a
fresh `kg build` process as a user runs it, interleaved ``--repeat`` times (medians):

1. incremental: ``kg build NEW --store COPY`` on a copy of the base store;
2. the 10 alone into a new store: ``kg build NEW --store EMPTY``;
3. the 10 alone to files: ``kg build NEW --out DIR``.

Prints the three times and the ratios 1/2 and 1/3 (the goal: within 2x).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus import write  # noqa: E402
from growth import timed_build  # noqa: E402

from kg.store import known_documents  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=Path, help="an existing store to start from (not modified)")
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--docs", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = args.base
        if base is None:
            base = tmp / "base"
            write(args.size, tmp / "base-src")
            print(f"building the base store of {args.size} documents (not timed)...", flush=True)
            timed_build([str(tmp / "base-src"), "--store", str(base), "--workers", "2"])
        n_base = len(known_documents(base))
        new = tmp / "new"
        write(args.docs, new, start=100_000)
        times: dict[str, list[float]] = {"incremental": [], "alone-store": [], "alone-out": []}
        for i in range(args.repeat):
            copy = tmp / f"copy-{i}"
            shutil.copytree(base, copy)
            wall, rss, line = timed_build([str(new), "--store", str(copy)])
            assert f"{args.docs} new document(s), {n_base + args.docs} in all" in line, line
            times["incremental"].append(wall)
            shutil.rmtree(copy)
            times["alone-store"].append(timed_build([str(new), "--store", str(tmp / f"empty-{i}")])[0])
            times["alone-out"].append(timed_build([str(new), "--out", str(tmp / f"out-{i}"), "--no-html"])[0])
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"base store: {n_base} documents; adding {args.docs} new documents; medians of {args.repeat} runs")
        print(f"{'1. add to the base store':34}{med['incremental']:7.1f} s")
        print(f"{'2. the same alone, new store':34}{med['alone-store']:7.1f} s   ratio 1/2: "
              f"{med['incremental'] / med['alone-store']:.2f}")
        print(f"{'3. the same alone, --out files':34}{med['alone-out']:7.1f} s   ratio 1/3: "
              f"{med['incremental'] / med['alone-out']:.2f}")


if __name__ == "__main__":
    main()
