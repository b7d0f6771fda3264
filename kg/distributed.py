"""Parsing and extraction on a Dask cluster (`kg build --scheduler tcp://HOST:PORT` or `local:N`).

spaCy is the cost of a build, and it parallelises by document: the client cuts the
documents into partitions, each worker parses and extracts a partition with its own
copy of the pipeline (loaded once per worker process, kept by kg.nlp's cache) and
sends back plain records — mentions and relations, no spaCy objects, no RDF. The
client keeps everything global: entity resolution and writing the graph or store, so
the result is the same as a local build of the same files.

Workers need kg installed at the same version as the client (same rules, same model
package); any Dask deployment works (dask-jobqueue on a batch system, the Dask
Kubernetes operator, Coiled): start it, then pass its scheduler address.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import replace

from kg.errors import KgError
from kg.lexicon import Lexicon
from kg.records import Document, Mention, Relation

PARTITION = 16  # documents per task: big enough to batch spaCy well, small enough to spread the work
_ADDRESS = re.compile(r"^(local:(\d+)|[a-z0-9+]+://\S+)$")


def _extract_partition(docs: list[Document], lex: Lexicon, cache_dir: str | None
                       ) -> list[tuple[list[Mention], list[Relation]]]:
    """Runs on a worker: parse and extract, return records only."""
    from kg.extract.relations import extract
    from kg.nlp import ParseCache, parse

    cache = ParseCache(cache_dir) if cache_dir else None
    return [extract(doc, sds, lex) for doc, sds in parse(docs, cache=cache)]


def _client(scheduler: str):
    m = _ADDRESS.match(scheduler.strip())
    if not m:
        raise KgError(f"--scheduler {scheduler!r}: expected a Dask scheduler address (tcp://HOST:PORT) or local:N")
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise KgError("--scheduler needs Dask: pip install 'kg[dask]'") from None
    if m.group(2) is not None:
        n = int(m.group(2))
        if n < 1:
            raise KgError("--scheduler local:N needs N >= 1 workers")
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout="20s"), None
    except (OSError, TimeoutError) as exc:
        raise KgError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None


def extract_on_cluster(docs: list[Document], lex: Lexicon, scheduler: str, cache_dir: str | None = None,
                       partition: int = PARTITION) -> Iterator[tuple[Document, list[Mention], list[Relation]]]:
    """Each document with its mentions and relations, computed on the cluster, yielded in input order.

    At most a few partitions per worker are in flight, so a million documents never
    sit in the scheduler's memory at once.
    """
    client, cluster = _client(scheduler)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        lex_f = client.scatter(lex, broadcast=True)
        parts = [docs[i:i + partition] for i in range(0, len(docs), partition)]
        window: deque = deque()
        nxt = 0
        while nxt < len(parts) or window:
            while nxt < len(parts) and len(window) < 3 * workers:
                # the worker does not need the file's path or title, only the text and its segments
                light = [replace(d, path="", title="") for d in parts[nxt]]
                window.append((parts[nxt], client.submit(_extract_partition, light, lex_f, cache_dir, pure=False)))
                nxt += 1
            part, fut = window.popleft()
            for doc, (ms, rs) in zip(part, fut.result()):
                yield doc, ms, rs
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
