"""Remove each protection in turn and check that its test fails (issue: "each test fails if its protection
is removed"). Not a test itself (pytest does not collect it); run it by hand after touching one:

    python tests/check_protections.py

Each entry replaces one line of the source with the unprotected version, runs the tests that guard it,
restores the file, and prints whether those tests failed (good) or still passed (the test misses it).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (protection, file, protected code, unprotected code, pytest arguments)
MUTATIONS = [
    ("UTF-8 BOM stripped", "kg/ingest.py", 'text = raw[3:].decode("utf-8", errors="strict")',
     'text = raw.decode("utf-8", errors="strict")', ["tests/test_ingest.py", "-k", "bom"]),
    ("stray NULs dropped", "kg/ingest.py", 'raw = raw.replace(b"\\x00", b"")', "pass",
     ["tests/test_ingest.py", "-k", "nul"]),
    ("dangling link reported, not lost", "kg/ingest.py", "(f.is_file() or (f.is_symlink() and not f.exists()))",
     "f.is_file()", ["tests/test_hostile.py", "-k", "reports_each_bad_file"]),
    ("literals cleaned of control characters", "kg/graph.py", "return Literal(_clean_literal(text))",
     "return Literal(text)", ["tests/test_security.py", "-k", "names"]),
    ("N-Triples sorted", "kg/export.py",
     'return _sorted_lines(graph.serialize(format="nt", encoding="utf-8").decode("utf-8"))',
     'return graph.serialize(format="nt", encoding="utf-8")', ["tests/test_export.py", "-k", "hash_seed"]),
    ("JSON-LD sorted", "kg/export.py", "return _jsonld(graph)", 'return graph.serialize(format="json-ld", encoding="utf-8")',
     ["tests/test_export.py", "-k", "hash_seed"]),
    ("writes are atomic", "kg/export.py", '    """Write bytes to path via a temporary file in the same folder and an atomic rename."""\n',
     "    path.write_bytes(data)\n    return\n", ["tests/test_export.py", "-k", "killed"]),
    ("FROM refused", "kg/query.py", 'if "datasetClause" in parsed[1].keys():', "if False:",
     ["tests/test_security.py", "-k", "call_out"]),
    ("SERVICE refused", "kg/query.py", 'if name == "ServiceGraphPattern":', "if False:",
     ["tests/test_security.py", "-k", "call_out"]),
    ("data block escaped", "kg/render.py", 's.replace("<", "\\\\u003c")', "s", ["tests/test_render.py", "-k", "data_block"]),
    ("page text set with textContent", "kg/templates/graph.html", "x.textContent = String(text);",
     "x.innerHTML = String(text);", ["tests/test_render_browser.py", "-k", "crafted"]),
    ("--out folder locked", "kg/cli.py", "        if out_dir:  # two builds", "        if False:  # two builds",
     ["tests/test_cli.py", "-k", "second_build"]),
    ("Ctrl-C gives one line", "kg/cli.py", "        except KeyboardInterrupt:", "        except ZeroDivisionError:",
     ["tests/test_cli.py", "-k", "interrupted and SIGINT"]),
    ("a document breaking the shapes is skipped", "kg/cli.py", "validate=not no_validate)  # a document",
     "validate=False)  # a document", ["tests/test_cli.py", "-k", "break_the_shapes"]),
    ("skipped components change nothing", "kg/nlp.py", 'UNUSED = ("attribute_ruler",)',
     'UNUSED = ("attribute_ruler", "lemmatizer")', ["tests/test_pipeline.py", "-k", "disables"]),
]


def main() -> int:
    missed = 0
    for name, rel, protected, unprotected, args in MUTATIONS:
        path = ROOT / rel
        source = path.read_text(encoding="utf-8")
        if source.count(protected) != 1:
            print(f"{name}: protected code not found once in {rel}; update this script")
            missed += 1
            continue
        path.write_text(source.replace(protected, unprotected), encoding="utf-8")
        try:
            run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                                 cwd=ROOT, capture_output=True, text=True)
        finally:
            path.write_text(source, encoding="utf-8")
        summary = (run.stdout.strip().splitlines() or ["?"])[-1]
        print(f"{name:45} {'its test fails without it' if run.returncode else 'NOT CAUGHT'}  ({summary})", flush=True)
        missed += run.returncode == 0
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
