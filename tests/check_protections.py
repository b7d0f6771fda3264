"""Remove each protection in turn and check that its test fails (issue: "each test fails if its protection
is removed"). Not a test itself (pytest does not collect it); run it by hand after touching one:

    python tests/check_protections.py

It edits the source files while it runs: commit nothing until it ends (a `git commit -a` meanwhile takes a
mutated file with it). Each entry replaces the protected code with the unprotected version (in one or more places: a protection
in layers is removed whole), runs the tests that guard it, restores the files, and prints whether those
tests failed (good) or still passed (the test misses it). It covers, among others, the security and data
protections of issue 12: SERVICE hidden by escapes, a damaged store, the store equal to a full build, the
endpoint's parser, body, result, worker and connection limits, a full disk, file permissions.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (protection, [(file, protected code, unprotected code), ...], pytest arguments): every edit of an entry is
# applied together (a protection in layers is removed whole), then its tests run
MUTATIONS = [
    ("UTF-8 BOM stripped", [("kg/ingest.py", 'text = raw[3:].decode("utf-8", errors="strict")',
                             'text = raw.decode("utf-8", errors="strict")')], ["tests/test_ingest.py", "-k", "bom"]),
    ("stray NULs dropped", [("kg/ingest.py", 'raw = raw.replace(b"\\x00", b"")', "pass")],
     ["tests/test_ingest.py", "-k", "nul"]),
    ("dangling link reported, not lost", [("kg/ingest.py", "                if f.suffix.lower() in SUFFIXES:",
                                           "                if f.suffix.lower() in SUFFIXES and f.exists():")],
     ["tests/test_hostile.py", "-k", "reports_each_bad_file"]),
    ("FIFOs and devices not read", [("kg/ingest.py", "    problem = _check_regular(path)\n    if problem is not None:\n"
                                     "        raise problem\n", "")],
     ["tests/test_ingest.py", "-k", "fifo or endless_device"]),
    ("literals cleaned of control characters", [("kg/graph.py", "return Literal(_clean_literal(text))",
                                                 "return Literal(text)")], ["tests/test_security.py", "-k", "names"]),
    ("N-Triples sorted", [("kg/export.py",
                           'return _sorted_lines(graph.serialize(format="nt", encoding="utf-8").decode("utf-8"))',
                           'return graph.serialize(format="nt", encoding="utf-8")')],
     ["tests/test_export.py", "-k", "hash_seed"]),
    ("JSON-LD sorted", [("kg/export.py", "return _jsonld(graph)",
                         'return graph.serialize(format="json-ld", encoding="utf-8")')],
     ["tests/test_export.py", "-k", "hash_seed"]),
    ("writes are atomic", [("kg/export.py",
                            '    """Write bytes to path via a temporary file in the same folder and an atomic rename."""\n',
                            "    path.write_bytes(data)\n    return\n")], ["tests/test_export.py", "-k", "killed"]),
    # 9: a full disk during --out
    ("outputs of a build appear together", [
        ("kg/cli.py", '    write_together({out / "graph.ttl": ttl, **({out / "graph.html": html} if html is not None else {})})',
         '    write_together({out / "graph.ttl": ttl})\n    write_together({out / "graph.html": html})')],
     ["tests/test_cli.py", "-k", "full_disk_during_out"]),
    # 11: permissions
    ("written files follow the umask", [("kg/export.py", "            os.fchmod(fh.fileno(), _mode_for(path))\n", "")],
     ["tests/test_cli.py", "-k", "umask"]),
    # 1: SERVICE hidden by \u escapes (both layers: the engine gets the expanded text, escaped delimiters refused)
    ("the engine runs the text the guard judged", [
        ("kg/query.py", "if chr(cp) in _STRUCTURAL:", "if False:"),
        ("kg/query.py", "res = graph.query(with_values(expand_codepoints(sparql), bindings or {}),",
         "res = graph.query(with_values(sparql, bindings or {}),")],
     ["tests/test_security.py", "tests/test_serve_limits.py", "-k", "call_out or escapes"]),
    ("FROM refused", [("kg/query.py", 'if "datasetClause" in parsed[1].keys():', "if False:"),
                      ("kg/query.py", "    if keywords:\n", "    if False:\n")],
     ["tests/test_security.py", "-k", "call_out"]),
    ("SERVICE refused", [("kg/query.py", 'if any(getattr(node, "name", None) == "ServiceGraphPattern"', "if False and any(getattr(node, \"name\", None) == \"ServiceGraphPattern\""),
                         ("kg/query.py", "    if keywords:\n", "    if False:\n")],
     ["tests/test_security.py", "-k", "call_out"]),
    # 2: a damaged store
    ("a damaged store is refused, not wiped", [
        ("kg/store.py", "    db, gens = root / DB, _generations(root)\n",
         "    return not (root / DB).exists()\n    db, gens = root / DB, _generations(root)\n")],
     ["tests/test_store.py", "-k", "damaged"]),
    # 3: the store equals the full build
    ("an actor moved off its IRI leaves nothing there", [("kg/store.py", "                            | set(renamed.values()))",
                                                           "                            )")],
     ["tests/test_store.py", "-k", "namesake"]),
    ("decimals in one lexical form", [("kg/export.py", "            o = decimal_literal(o.value)", "            pass")],
     ["tests/test_store.py", "-k", "one_document_at_a_time"]),
    ("a full disk in a store is reported as such", [("kg/store.py", "            if db.in_transaction:", "            if True:")],
     ["tests/test_cli.py", "tests/test_store.py", "-k", "full_disk_while_adding or failed_rollback"]),
    # 4 and 7: the parser is never shared by threads, and parsing counts against the limit
    ("queries parsed in the worker, one thread at a time", [
        ("kg/query.py", "    with _PARSE_LOCK:\n        return _checked(sparql)", "    return _checked(sparql)"),
        ("kg/query.py", '    ctx = mp.get_context("fork")\n', '    check_query(sparql)\n    ctx = mp.get_context("fork")\n'),
        ("kg/serve.py", "    warm_up()  # rdflib's grammar", "    pass  # rdflib's grammar")],
     ["tests/test_serve_limits.py", "-k", "four_then_forty or parsing_counts"]),
    # 5
    ("Content-Length checked", [("kg/serve.py", "if not declared.isdigit() or not declared.isascii():", "if False:")],
     ["tests/test_serve_limits.py", "-k", "content_length"]),
    # 6
    ("results capped in bytes", [
        ("kg/query.py", "if self.rows >= self.row_cap or (self.max_bytes is not None and self.bytes + size > self.max_bytes):",
         "if self.rows >= self.row_cap:")],
     ["tests/test_serve_limits.py", "-k", "byte_cap"]),
    # 7
    ("a worker's memory capped", [("kg/query.py", "        _limit_memory(memory)\n", "")],
     ["tests/test_serve_limits.py", "-k", "memory_budget"]),
    ("a bounded worker pool with a queue", [
        ("kg/serve.py", "got = self._slots.acquire(timeout=self.wait)", "got = True"),
        ("kg/serve.py", "            if self._waiting >= self.queue:", "            if False:")],
     ["tests/test_serve_limits.py", "-k", "no_more_workers"]),
    ("idle connections closed, surplus refused", [
        ("kg/serve.py", "        self.timeout = self.server.idle", "        self.timeout = None"),
        ("kg/serve.py", "full = self._active >= self.max_connections", "full = False")],
     ["tests/test_serve_limits.py", "-k", "idle_connections"]),
    ("data block escaped", [("kg/render.py", 's.replace("<", "\\\\u003c")', "s")],
     ["tests/test_render.py", "-k", "data_block"]),
    ("page text set with textContent", [("kg/templates/graph.html", "x.textContent = String(text);",
                                         "x.innerHTML = String(text);")],
     ["tests/test_render_browser.py", "-k", "crafted"]),
    ("--out folder locked", [("kg/cli.py", "        if out_dir:  # two builds", "        if False:  # two builds")],
     ["tests/test_cli.py", "-k", "second_build"]),
    ("Ctrl-C gives one line", [("kg/cli.py", "        except KeyboardInterrupt:", "        except ZeroDivisionError:")],
     ["tests/test_cli.py", "-k", "interrupted and SIGINT"]),
    ("a document breaking the shapes is skipped", [("kg/cli.py", "validate=not no_validate)  # a document",
                                                    "validate=False)  # a document")],
     ["tests/test_cli.py", "-k", "break_the_shapes"]),
    ("skipped components change nothing", [("kg/nlp.py", 'UNUSED = ("attribute_ruler",)',
                                            'UNUSED = ("attribute_ruler", "lemmatizer")')],
     ["tests/test_pipeline.py", "-k", "disables"]),
]


def main() -> int:
    missed = 0
    for name, edits, args in MUTATIONS:
        sources = {rel: (ROOT / rel).read_text(encoding="utf-8") for rel, _, _ in edits}
        mutated = dict(sources)
        broken = [rel for rel, protected, _ in edits if mutated[rel].count(protected) != 1]
        if broken:
            print(f"{name}: protected code not found once in {', '.join(broken)}; update this script")
            missed += 1
            continue
        for rel, protected, unprotected in edits:
            mutated[rel] = mutated[rel].replace(protected, unprotected)
        try:
            for rel, text in mutated.items():
                (ROOT / rel).write_text(text, encoding="utf-8")
            run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                                 cwd=ROOT, capture_output=True, text=True)
        finally:
            for rel, text in sources.items():
                (ROOT / rel).write_text(text, encoding="utf-8")
        summary = (run.stdout.strip().splitlines() or ["?"])[-1]
        print(f"{name:50} {'its test fails without it' if run.returncode else 'NOT CAUGHT'}  ({summary})", flush=True)
        missed += run.returncode == 0
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
