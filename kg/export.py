"""Serialise a graph to files, deterministically and atomically.

Output files are written to a temporary name and renamed into place, so a failed
export never leaves a truncated file where the previous good one was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rdflib import Graph

from kg.errors import E_FORMAT, KgError

FORMATS = {"turtle": "turtle", "ttl": "turtle", "nt": "nt", "ntriples": "nt", "jsonld": "json-ld",
           "json-ld": "json-ld", "xml": "xml", "rdfxml": "xml"}


def serialize(graph: Graph, fmt: str = "turtle") -> bytes:
    """The graph in an RDF syntax, byte-identical for the same triples."""
    if fmt not in FORMATS:
        raise KgError(E_FORMAT.format(fmt=fmt, choices=", ".join(sorted(set(FORMATS)))))
    rdf_fmt = FORMATS[fmt]
    if rdf_fmt == "nt":
        lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
        return ("\n".join(sorted(set(line for line in lines if line.strip()))) + "\n").encode("utf-8")
    if rdf_fmt == "json-ld":
        import json

        data = json.loads(graph.serialize(format="json-ld", encoding="utf-8"))
        if isinstance(data, list):
            data.sort(key=lambda n: n.get("@id", ""))
            for node in data:
                for k, v in node.items():
                    if isinstance(v, list):
                        v.sort(key=lambda x: json.dumps(x, sort_keys=True, ensure_ascii=False))
        return json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    return graph.serialize(format=rdf_fmt, encoding="utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to path via a temporary file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def export(graph: Graph, path: Path, fmt: str = "turtle") -> None:
    write_atomic(path, serialize(graph, fmt))
