"""Benchmark: how `kg build --store` grows with the corpus: 100, 1,000 and 10,000 documents.

    python bench/growth.py [--sizes 100,1000,10000] [--keep DIR] [--workers 1]

The corpus is bench/corpus.py (real seed articles and generated French articles with
thousands of distinct names); each size is the first N documents of the same corpus.
Each build is a fresh `kg build DIR --store S` process (model loading included, as a
user runs it), measured for wall time and peak resident memory (the process's
``ru_maxrss``). Printed per size: time per document, and the peak memory, so a step
that is worse than linear shows as a rising time per document or a jump in memory.
``--keep DIR`` keeps the largest store (bench/incremental.py can start from it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import write  # noqa: E402


def timed_build(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB, and the summary line of one `kg build` process."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "build", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    out, err = proc.stdout.read(), proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"kg build failed: {err.strip()[-500:]}")
    return wall, usage.ru_maxrss / 1024, out.strip().splitlines()[-1] if out.strip() else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="copy the largest store here")
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        paths = write(sizes[-1], Path(tmp) / "all")
        words = [len(p.read_text(encoding="utf-8").split()) for p in paths]
        print(f"corpus: {sizes[-1]} documents, {sum(words)} words ({sum(words) / len(words):.0f} per document), "
              f"written in {time.perf_counter() - t:.1f} s", flush=True)
        print(f"{'documents':>10} {'words':>10} {'wall':>9} {'per doc':>9} {'words/s':>9} {'peak RSS':>9}", flush=True)
        rows = []
        for n in sizes:
            src = Path(tmp) / f"src-{n}"
            src.mkdir()
            for p in paths[:n]:
                os.link(p, src / p.name)
            store = Path(tmp) / f"store-{n}"
            wall, rss, line = timed_build([str(src), "--store", str(store), "--workers", str(args.workers)])
            w = sum(words[:n])
            rows.append((n, wall))
            print(f"{n:>10} {w:>10} {wall:>8.1f}s {wall / n * 1000:>7.1f}ms {w / wall:>9.0f} {rss:>7.0f}MB"
                  f"   ({line})", flush=True)
            if n == sizes[-1] and args.keep:
                shutil.rmtree(args.keep, ignore_errors=True)
                shutil.copytree(store, args.keep)
            shutil.rmtree(store)
        if len(rows) >= 2:
            (n1, t1), (n2, t2) = rows[-2], rows[-1]
            print(f"time per document, {n2} vs {n1} documents: {(t2 / n2) / (t1 / n1):.2f}x (1.00 = linear)")


if __name__ == "__main__":
    main()
