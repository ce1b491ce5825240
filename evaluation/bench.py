"""Speed and robustness: ingest throughput against raw encoding, search latency at 1k and 10k+
chunks, ask latency, a bounded load run against the real service, and the hostile-file suite.

Every number is printed with what it measured. Law subsets are cut from the large law corpus
into ``data/bench/`` and indexed there once; reruns reuse those indexes.
"""

import gzip
import json
import multiprocessing
import multiprocessing.synchronize
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from evaluation.gold import load_gold
from evaluation.hostile_files import GOOD_POLICY, judge, write_suite
from evaluation.load import latency_text, run_load
from ingest.embedding import get_embedder
from ingest.index_store import Index, IndexNotFound, load_index
from ingest.pipeline import ingest, passage_text, unit_texts
from ingest.quote_units import FORMS, QuoteUnit
from ingest.settings import PROJECT_ROOT, Settings
from service.answering import Answerer
from service.engine import Engine
from service.retrieval import Searcher

BENCH_DIR = PROJECT_ROOT / "data" / "bench"
CHARS_PER_CHUNK = 1000


def law_subset(laws: Path, target_chunks: int, out: Path) -> Path:
    """The first laws of the corpus, enough for about ``target_chunks`` chunks."""
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    budget = target_chunks * CHARS_PER_CHUNK
    with gzip.open(laws, "rt", encoding="utf-8") as lines, open(out, "w", encoding="utf-8") as subset:
        for line in lines:
            law = json.loads(line)
            size = sum(len(p.get("content", "")) for p in law.get("provisions", []))
            if size == 0:
                continue
            subset.write(line)
            budget -= size
            if budget <= 0:
                break
    return out


def embedded_texts(index: Index) -> list[str]:
    """What an ingest with the default setup embeds: every chunk and every quote unit in its context."""
    texts = [passage_text(index.documents[c.document_id], c) for c in index.chunks]
    for chunk in index.chunks:
        document = index.documents[chunk.document_id]
        units = [QuoteUnit(int(r[1]), int(r[2]), FORMS[int(r[3])]) for r in index.quote_spans[list(index.quote_rows(chunk.chunk_id))]]
        texts += unit_texts(document, [chunk], [units])[0]
    return texts


def percentiles(samples: list[float]) -> tuple[float, float]:
    ms = np.array(samples) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def bench_ingest(settings: Settings, source: Path, console: Console) -> dict:
    """Full ingest into an empty folder against ``model.encode`` of the same passages."""
    with tempfile.TemporaryDirectory() as tmp:
        report = ingest([source], Path(tmp) / "index", settings, show_progress=True)
        texts = embedded_texts(load_index(Path(tmp) / "index"))
    embedder = get_embedder(settings)
    started = time.perf_counter()
    embedder.encode_passages(sorted(texts, key=len, reverse=True))
    encode_seconds = time.perf_counter() - started
    result = {
        "chunks": report.chunks,
        "ingest_seconds": report.seconds,
        "ingest_chunks_per_s": report.chunks / report.seconds,
        "encode_seconds": encode_seconds,
        "encode_chunks_per_s": report.chunks / encode_seconds,
        "overhead": report.seconds / encode_seconds - 1,
    }
    console.print(
        f"Ingest of {source.name}: {report.chunks} chunks in {report.seconds:.1f} s "
        f"({result['ingest_chunks_per_s']:.1f} chunks/s, embedding part {report.embed_seconds:.1f} s, "
        f"{report.embedded_units} quote units embedded with them); "
        f"raw model encode of the same {len(texts)} texts {encode_seconds:.1f} s "
        f"({report.chunks / encode_seconds:.1f} chunks/s); "
        f"ingest overhead {result['overhead'] * 100:.1f}%"
    )
    return result


def bench_search(settings: Settings, index_dir: Path, queries: list[str]) -> dict:
    index = load_index(index_dir)
    searcher = Searcher(index, get_embedder(settings), settings)
    searcher.search(queries[0])
    total, retrieval = [], []
    for query in queries:
        started = time.perf_counter()
        vector = searcher.embedder.encode_queries([query])[0]
        encoded = time.perf_counter()
        searcher.search(query, k=10, query_vector=vector)
        done = time.perf_counter()
        total.append(done - started)
        retrieval.append(done - encoded)
    return {"chunks": len(index.chunks), "total": percentiles(total), "retrieval": percentiles(retrieval)}


def bench_ask(settings: Settings, queries: list[str], answerer: Answerer | None = None) -> dict:
    answerer = answerer or Answerer(Engine.load(settings))
    answerer.answer(queries[0])
    samples = []
    for query in queries:
        started = time.perf_counter()
        answerer.answer(query)
        samples.append(time.perf_counter() - started)
    return {"chunks": len(answerer.engine.index.chunks), "latency": percentiles(samples)}


def burn(stop: multiprocessing.synchronize.Event) -> None:
    """Keep one core busy, as another process on a shared 2-core server would."""
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def bench_ask_busy(settings: Settings, query_count: int, console: Console) -> None:
    """Answer latency on the default index (query encoding, retrieval, weighing, quotes), idle and
    with a second process keeping the other core busy."""
    gold = [q.question for q in load_gold() if not q.history]
    queries = [gold[i % len(gold)] for i in range(query_count)]
    answerer = Answerer(Engine.load(settings))
    idle = bench_ask(settings, queries, answerer)
    stop = multiprocessing.Event()
    burner = multiprocessing.Process(target=burn, args=(stop,), daemon=True)
    burner.start()
    try:
        busy = bench_ask(settings, queries, answerer)
    finally:
        stop.set()
        burner.join(10)
    console.print(f"Answers on the default index ({idle['chunks']} chunks), {query_count} gold questions, "
                  f"query threads {settings.query_threads}:")
    console.print(f"  idle machine:                       p50 {idle['latency'][0]:.1f} ms, p95 {idle['latency'][1]:.1f} ms")
    console.print(f"  a second process busy on one core:  p50 {busy['latency'][0]:.1f} ms, p95 {busy['latency'][1]:.1f} ms")


def ensure_index(settings: Settings, source: Path, index_dir: Path, console: Console) -> None:
    try:
        load_index(index_dir)
        return
    except IndexNotFound:
        pass
    console.print(f"Indexing {source.name} into {index_dir} (once, for search only: no quote vectors) ...")
    ingest([source], index_dir, settings.model_copy(update={"embed_quotes": False}), show_progress=True)


def bench_load_run(settings: Settings, clients: int, seconds: float, console: Console) -> None:
    """``clients`` concurrent clients asking for ``seconds`` against the service on 127.0.0.1."""
    console.print(f"Load: {clients} clients asking staff questions for {seconds:g} s against python -m service on "
                  f"127.0.0.1 (at most {settings.max_concurrent_requests} served at once, "
                  f"{settings.max_waiting_requests} waiting) ...")
    result = run_load(settings.index_dir, clients, seconds)
    busy, ok = result.statuses.get(503, 0), result.statuses.get(200, 0)
    console.print(f"  requests {result.requests}: 200 x{ok}, 503 x{busy} ({busy / max(result.requests, 1):.1%} of all), "
                  f"other errors {result.unexpected} {sorted(set(result.errors))[:5]}", markup=False)
    console.print(f"  throughput {result.requests / seconds:.1f} requests/s, {ok / seconds:.1f} answers/s")
    console.print(f"  latency of every response: {latency_text(result.latencies)}; "
                  f"of answers (200): {latency_text(result.ok_latencies)}")
    console.print(f"  /healthz during the run: {latency_text(result.health_latencies)}, "
                  f"max {max(result.health_latencies, default=0) * 1000:.0f} ms ({len(result.health_latencies)} probes)")
    console.print("  (a client told 503 waits the Retry-After it was given, then asks again)")


def bench_hostile(settings: Settings, console: Console) -> None:
    """The generated hostile-file suite plus a good file, in one ingest with the default limits."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "hostile"
        suite = write_suite(folder)
        good = Path(tmp) / "good"
        good.mkdir()
        (good / "mokymai.txt").write_text(GOOD_POLICY, encoding="utf-8")
        console.print(f"Hostile files: {len(suite)} cases and one good file in one ingest "
                      f"(limits: {settings.file_timeout_seconds:g} s and {settings.reader_memory_bytes / 2**30:.1f} GiB "
                      f"per file, {settings.max_unpacked_bytes:,} bytes unpacked) ...")
        started = time.perf_counter()
        report = ingest([folder, good], Path(tmp) / "index", settings, organization="Bandomasis centras",
                        show_progress=False)
        seconds = time.perf_counter() - started
        index = load_index(Path(tmp) / "index")
        outcomes = judge(folder, suite, [(p.path, p.reason) for p in report.problems],
                         {d.document_id: (d.source_path, d.text) for d in index.documents.values()})
    slowest = sorted(report.read_seconds.items(), key=lambda item: -item[1])[:3]
    correct = sum(outcome.ok for outcome in outcomes)
    console.print(f"{correct} of {len(outcomes)} cases handled as expected; {len(report.problems)} problems reported by "
                  f"file name; {report.documents} documents indexed (good file: {'mokymai' in index.documents}); "
                  f"ingest {seconds:.1f} s")
    for outcome in outcomes:
        if not outcome.ok:
            console.print(f"  NOT AS EXPECTED {outcome.case.name!r}: {outcome.observed}", markup=False)
    console.print("slowest files: " + "; ".join(f"{Path(path).name} {secs:.1f} s" for path, secs in slowest), markup=False)
    console.print(f"peak memory: ingest process {report.peak_memory_bytes / 2**20:.0f} MiB (model and embedding "
                  f"included), reader processes {report.reader_peak_memory_bytes / 2**20:.0f} MiB")


def run_bench(settings: Settings, laws: Path, query_count: int, only: str = "all", clients: int = 100,
              seconds: float = 60.0) -> None:
    console = Console()
    if only in ("all", "hostile"):
        bench_hostile(settings, console)
    if only in ("all", "load"):
        bench_load_run(settings, clients, seconds, console)
    if only in ("all", "ask"):
        bench_ask_busy(settings, query_count, console)
    if only in ("all", "speed"):
        bench_speed(settings, laws, query_count, console)


def bench_speed(settings: Settings, laws: Path, query_count: int, console: Console) -> None:
    if not laws.exists():
        raise SystemExit(f"The law corpus {laws} is missing; pass --laws PATH")
    gold = [q.question for q in load_gold() if not q.history]
    queries = [gold[i % len(gold)] for i in range(query_count)]

    small = law_subset(laws, 1_000, BENCH_DIR / "laws-1k.jsonl")
    large = law_subset(laws, 10_500, BENCH_DIR / "laws-10k.jsonl")
    ingest_result = bench_ingest(settings, small, console)

    table = Table(title=f"Search latency, hybrid, k=10, {query_count} queries (ms)")
    for column in ("index", "chunks", "p50 total", "p95 total", "p50 retrieval", "p95 retrieval"):
        table.add_column(column, justify="right")
    for name, source in (("1k laws", small), ("10k laws", large)):
        index_dir = BENCH_DIR / f"index-{source.stem}"
        ensure_index(settings, source, index_dir, console)
        result = bench_search(settings, index_dir, queries)
        table.add_row(name, str(result["chunks"]), *(f"{v:.1f}" for v in (*result["total"], *result["retrieval"])))
    console.print(table)
    console.print("total = query encoding + retrieval + fusion; retrieval = BM25 + faiss + fusion only")

    ask = bench_ask(settings, queries)
    console.print(f"/api/ask answer composition on the default index ({ask['chunks']} chunks), {query_count} questions: "
                  f"p50 {ask['latency'][0]:.1f} ms, p95 {ask['latency'][1]:.1f} ms")
    console.print(f"Ingest overhead over raw encoding: {ingest_result['overhead'] * 100:.1f}% (target < 15%)")
    shutil.rmtree(BENCH_DIR / "tmp", ignore_errors=True)
