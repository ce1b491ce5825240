"""The law register at scale: ``python -m evaluation bench --scale``.

1. Ingest. Slices of the register (its first laws in file order, without the two laws of the
   default corpus) are ingested with the register setup (``REGISTER_SETUP``: quote-unit vectors
   pooled from the chunk's own pass; short batches through the int8 ONNX copy) at three sizes.
   The middle one is also ingested with the default setup (torch, each quote unit encoded again in
   its context) and encoded raw with sentence-transformers (the texts the default setup encodes),
   in the same run. Every ingest runs in a child process whose peak memory is reported. Straight-line
   fits of seconds on chunks and of chunks on characters extrapolate the whole register.
2. Latency at 10k, 100k and 300k chunks. These indexes are built for latency only: the largest
   slice's documents repeated (each copy is its own document; vectors jittered so the index holds
   distinct vectors) up to the size. A child process loads each and runs the gold questions through
   search and through the whole answer step; its memory is reported.
3. Distraction. The gold questions whose answer is in one of the default corpus's two laws, asked
   against the default corpus alone, together with the largest slice of the register (or
   ``--distraction-laws N`` laws), and with only the two laws in scope (``EQUASS_LAWS_IN_SCOPE``).
4. Publish. The largest latency index published to a PostgreSQL started for the purpose (the
   machine's binaries, as the tests start one) and written from it into an empty index folder, as
   a new replica does; times, peak memory, and the database's size.

Indexes are kept in ``data/bench/scale/`` and reused by a rerun (delete the folder to start over).
"""

import dataclasses
import gzip
import json
import math
import multiprocessing
import resource
import shutil
import time
from pathlib import Path

import bm25s
import numpy as np
from rich.console import Console

from evaluation.gold import load_gold
from ingest.analyzer import analyze_document
from ingest.index_store import Index, load_index, write_generation
from ingest.pipeline import ingest, passage_text
from ingest.settings import PROJECT_ROOT, Settings

SCALE_DIR = PROJECT_ROOT / "data" / "bench" / "scale"
DEFAULT_CORPUS_LAWS = {"lt-law-x-493", "lt-pdpa-i1374"}
# How the register is ingested: the setup whose speed is measured here (see the README).
REGISTER_SETUP = {"passage_engine": "by-length", "unit_vectors": "late", "passage_precision": "bfloat16"}
# What it is compared with: the product's default setup, as it embedded before the register setup existed.
DEFAULT_SETUP = {"passage_engine": "torch", "unit_vectors": "context", "passage_precision": "float32"}
INGEST_SIZES = (25, 50, 100)  # laws
LATENCY_SIZES = (10_000, 100_000, 300_000)  # chunks
JITTER = 0.02


def register_slice(laws: Path, count: int, out: Path) -> Path:
    """The first ``count`` laws with text of the register, without the default corpus's two."""
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with gzip.open(laws, "rt", encoding="utf-8") as lines, open(out, "w", encoding="utf-8") as subset:
        for line in lines:
            law = json.loads(line)
            if law["id"] in DEFAULT_CORPUS_LAWS or not any(p.get("content") for p in law.get("provisions", [])):
                continue
            subset.write(line)
            written += 1
            if written == count:
                break
    return out


def register_size(laws: Path) -> tuple[int, int]:
    """Laws and characters of provision text in the whole register."""
    count = chars = 0
    with gzip.open(laws, "rt", encoding="utf-8") as lines:
        for line in lines:
            law = json.loads(line)
            count += 1
            chars += sum(len(p.get("content", "")) for p in law.get("provisions", []))
    return count, chars


def peak_rss_mib() -> float:
    """This process's peak resident memory. Read from VmHWM, not ``ru_maxrss``: a spawned child
    keeps the ``ru_maxrss`` of the moment it was forked, so a child of a big parent would report
    the parent's memory."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _in_child(function, *args):
    """Run ``function(*args)`` in a fresh process (its own peak memory) and return its result."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_run_and_send, args=(send, function, args))  # not daemonic: an ingest has readers
    child.start()
    send.close()
    try:
        ok, value = receive.recv()
    except EOFError:
        ok, value = False, f"the child process died (exit code {child.join() or child.exitcode})"
    child.join()
    if not ok:
        raise RuntimeError(value)
    return value


def _run_and_send(send, function, args) -> None:
    try:
        send.send((True, function(*args)))
    except Exception as error:  # reported by the parent
        import traceback

        send.send((False, f"{error!r}\n{traceback.format_exc()}"))


def _ingest_child(source: Path, index_dir: Path, settings: Settings) -> dict:
    shutil.rmtree(index_dir, ignore_errors=True)
    report = ingest([source], index_dir, settings, show_progress=False)
    sizes = [p.stat().st_size for p in Path(report.generation).rglob("*") if p.is_file()]
    chars = sum(len(d.text) for d in load_index(index_dir).documents.values())
    return {"documents": report.documents, "chunks": report.chunks, "units": report.embedded_units,
            "seconds": report.seconds, "embed_seconds": report.embed_seconds, "chars": chars,
            "disk_mib": sum(sizes) / 2**20, "peak_mib": peak_rss_mib()}


def _raw_encode_child(index_dir: Path, settings: Settings) -> dict:
    """sentence-transformers' ``encode`` of what the default setup embeds: every chunk and every
    quote unit in its context, longest first."""
    from evaluation.bench import embedded_texts
    from sentence_transformers import SentenceTransformer

    texts = embedded_texts(load_index(index_dir))
    model = SentenceTransformer(settings.model, device="cpu")
    started = time.perf_counter()
    model.encode(sorted(texts, key=len, reverse=True), prompt=settings.passage_prompt,
                 batch_size=settings.model_batch_size, normalize_embeddings=True)
    return {"texts": len(texts), "seconds": time.perf_counter() - started}


def fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares ``y = a + b x``."""
    b, a = np.polyfit(np.array(xs, dtype=float), np.array(ys, dtype=float), 1)
    return float(a), float(b)


def bench_ingest_scale(settings: Settings, laws: Path, console: Console) -> Path:
    register = settings.model_copy(update=REGISTER_SETUP)
    slices = {n: register_slice(laws, n, SCALE_DIR / f"laws-{n}.jsonl") for n in INGEST_SIZES}
    compared, largest = INGEST_SIZES[1], INGEST_SIZES[-1]
    console.print(f"Ingest, register setup ({REGISTER_SETUP}), each in a fresh process:")
    results = {}
    for n, source in slices.items():
        results[n] = result = _in_child(_ingest_child, source, SCALE_DIR / f"index-{n}", register)
        console.print(f"  {n:>4} laws: {result['documents']} documents, {result['chunks']} chunks, "
                      f"{result['units']} quote units, {result['seconds']:.1f} s "
                      f"({result['chunks'] / result['seconds']:.2f} chunks/s; embedding {result['embed_seconds']:.1f} s), "
                      f"peak RSS {result['peak_mib']:.0f} MiB, index on disk {result['disk_mib']:.1f} MiB")
    # Indexes the other parts build from the largest slice's index, which has just changed.
    for derived in [f"latency-{size}" for size in LATENCY_SIZES] + [distraction_index(SCALE_DIR / f"index-{largest}").name]:
        shutil.rmtree(SCALE_DIR / derived, ignore_errors=True)
    default_setup = settings.model_copy(update=DEFAULT_SETUP)
    default = _in_child(_ingest_child, slices[compared], SCALE_DIR / "index-default-setup", default_setup)
    raw = _in_child(_raw_encode_child, SCALE_DIR / "index-default-setup", default_setup)
    fast = results[compared]
    console.print(f"Same {compared} laws, default setup (torch, quote units encoded in context): {default['seconds']:.1f} s "
                  f"({default['chunks'] / default['seconds']:.2f} chunks/s), peak RSS {default['peak_mib']:.0f} MiB")
    console.print(f"Same {compared} laws, raw sentence-transformers encode of the {raw['texts']} texts the default "
                  f"setup embeds: {raw['seconds']:.1f} s ({default['chunks'] / raw['seconds']:.2f} chunks/s)")
    console.print(f"Register setup against the default setup: {default['seconds'] / fast['seconds']:.2f}x the chunks/s; "
                  f"against the raw encode: {raw['seconds'] / fast['seconds']:.2f}x")

    count, chars = register_size(laws)
    sizes = [results[n] for n in INGEST_SIZES]
    a, b = fit([r["chunks"] for r in sizes], [r["seconds"] for r in sizes])
    _, chunks_per_char = fit([r["chars"] for r in sizes], [r["chunks"] for r in sizes])
    full_chunks = chunks_per_char * chars
    per_chunk_disk = results[largest]["disk_mib"] / results[largest]["chunks"]
    console.print(f"Whole register ({count} laws, {chars / 1e6:.1f} M characters), extrapolated from the fits "
                  f"(seconds = {a:.1f} + {b:.3f} x chunks; {chunks_per_char * 1000:.2f} chunks per 1000 characters): "
                  f"about {full_chunks:,.0f} chunks, {(a + b * full_chunks) / 3600:.1f} hours of ingest on this machine, "
                  f"{per_chunk_disk * full_chunks / 1024:.1f} GiB on disk")
    return SCALE_DIR / f"index-{largest}"


def replicate(index: Index, target: int) -> dict:
    """The parts of a generation of ``target`` chunks: ``index`` repeated, each copy its own documents."""
    rng = np.random.default_rng(0)
    copies = math.ceil(target / len(index.chunks))
    terms = [analyze_document(passage_text(index.documents[c.document_id], c)) for c in index.chunks]
    documents, chunks, embeddings, quote_vectors, quote_spans, corpus = [], [], [], [], [], []
    for copy in range(copies):
        suffix = f"~{copy}" if copy else ""
        for document in index.documents.values():
            documents.append(dataclasses.replace(document, document_id=document.document_id + suffix))
        take = min(len(index.chunks), target - len(chunks))
        for chunk in index.chunks[:take]:
            chunks.append(dataclasses.replace(chunk, chunk_id=len(chunks), document_id=chunk.document_id + suffix))
        corpus.extend(terms[:take])
        offset = copy * len(index.chunks)
        rows = np.flatnonzero(index.quote_spans[:, 0] < take)
        spans = index.quote_spans[rows].copy()
        spans[:, 0] += offset
        quote_spans.append(spans)
        for vectors, out in ((np.asarray(index.embeddings[:take], np.float32), embeddings),
                             (np.asarray(index.quote_vectors[rows], np.float32), quote_vectors)):
            jittered = vectors + JITTER * rng.standard_normal(vectors.shape).astype(np.float32) if copy else vectors
            out.append((jittered / np.linalg.norm(jittered, axis=1, keepdims=True)).astype(np.float16))
    lexical = bm25s.BM25()
    lexical.index(corpus, show_progress=False)
    manifest = {**index.manifest, "chunk_count": len(chunks),
                "documents": {d.document_id: d.content_hash for d in documents}}
    return {"manifest": manifest, "documents": documents, "chunks": chunks,
            "embeddings": np.vstack(embeddings), "lexical": lexical,
            "quote_vectors": np.vstack(quote_vectors), "quote_spans": np.vstack(quote_spans)}


def _replicate_child(source: Path, size: int, index_dir: Path) -> None:
    write_generation(index_dir, **replicate(load_index(source), size))


def _latency_child(index_dir: Path, settings: Settings, queries: list[str]) -> dict:
    from evaluation.bench import percentiles
    from service.answering import Answerer
    from service.engine import Engine

    settings = settings.model_copy(update={"index_dir": index_dir})
    started = time.perf_counter()
    answerer = Answerer(Engine.load(settings))
    load_seconds = time.perf_counter() - started
    loaded_mib = peak_rss_mib()
    searcher = answerer.engine.searcher
    searcher.search(queries[0])
    answerer.answer(queries[0])
    search, ask = [], []
    for query in queries:
        started = time.perf_counter()
        searcher.search(query, k=10)
        search.append(time.perf_counter() - started)
        started = time.perf_counter()
        answerer.answer(query)
        ask.append(time.perf_counter() - started)
    return {"chunks": len(answerer.engine.index.chunks), "load_seconds": load_seconds, "loaded_mib": loaded_mib,
            "peak_mib": peak_rss_mib(), "search": percentiles(search), "ask": percentiles(ask), **resident_mib()}


def resident_mib() -> dict:
    """Resident memory now: private (the process's own) and file-backed (pages of the memory-mapped
    index files and libraries, shared with other processes on the machine and given back under
    memory pressure)."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile"):
                values[name] = int(value.split()[0]) / 1024
    return {"rss_mib": values["VmRSS"], "private_mib": values["RssAnon"], "file_mib": values["RssFile"]}


def bench_latency_scale(settings: Settings, source: Path, query_count: int, console: Console) -> None:
    gold = [q.question for q in load_gold() if not q.history]
    queries = [gold[i % len(gold)] for i in range(query_count)]
    base = load_index(source)
    console.print(f"Search and answer latency, {query_count} gold questions each, one query thread; built for latency "
                  f"only from the {len(base.chunks)} chunks of {source.name} repeated (see evaluation/scale.py):")
    for size in LATENCY_SIZES:
        index_dir = SCALE_DIR / f"latency-{size}"
        try:
            load_index(index_dir)
        except Exception:
            shutil.rmtree(index_dir, ignore_errors=True)
            started = time.perf_counter()
            _in_child(_replicate_child, source, size, index_dir)  # this process stays small for the measuring ones
            console.print(f"  (built {size:,} chunks in {time.perf_counter() - started:.0f} s)")
        disk = sum(p.stat().st_size for p in (index_dir / "current").resolve().rglob("*") if p.is_file()) / 2**20
        result = _in_child(_latency_child, index_dir, settings, queries)
        console.print(f"  {result['chunks']:>7,} chunks: search p50 {result['search'][0]:.1f} ms, p95 {result['search'][1]:.1f} ms; "
                      f"answer p50 {result['ask'][0]:.1f} ms, p95 {result['ask'][1]:.1f} ms; load {result['load_seconds']:.1f} s; "
                      f"peak RSS while loading {result['loaded_mib']:.0f} MiB; RSS after the questions {result['rss_mib']:.0f} MiB "
                      f"({result['private_mib']:.0f} private, {result['file_mib']:.0f} mapped files), peak "
                      f"{result['peak_mib']:.0f} MiB; on disk {disk:.0f} MiB")


def _distraction_child(index_dir: Path, settings: Settings, laws: frozenset[str] = frozenset()) -> dict:
    """``laws``: answer as a service with these laws in scope (``EQUASS_LAWS_IN_SCOPE``) does."""
    from evaluation.answers import evaluate, summarize
    from evaluation.retrieval import metrics, score_questions
    from service.answering import Answerer
    from service.engine import Engine
    from service.scopes import Scope, answerer_within

    questions = [q for q in load_gold() if q.answers and {a.document_id for a in q.answers} & DEFAULT_CORPUS_LAWS]
    engine = Engine.load(settings.model_copy(update={"index_dir": index_dir}))
    answerer = Answerer(engine)
    if laws:
        scope = Scope(laws=laws)
        engine = engine.within(scope)
        answerer = answerer_within(answerer, engine, None, scope)
    retrieval = metrics(score_questions(engine.searcher, questions), "hybrid", engine.searcher.dense_weight)
    answers = summarize(evaluate(answerer, questions))["overall"]
    return {"questions": len(questions), "chunks": len(engine.index.chunks), "retrieval": retrieval, "answers": answers}


def bench_distraction(settings: Settings, slice_index: Path, console: Console) -> None:
    register = settings.model_copy(update=REGISTER_SETUP)
    alone, together = SCALE_DIR / "corpus", distraction_index(slice_index)
    for index_dir in (alone, together):
        if has_register_setup(index_dir):
            continue
        shutil.rmtree(index_dir, ignore_errors=True)
        if index_dir == together:
            shutil.copytree(slice_index, together, symlinks=True)
        _in_child(_ingest_corpus_child, index_dir, register)
    laws = len(load_index(together).documents) - len(load_index(alone).documents)
    console.print(f"Distraction: the gold questions answered by the default corpus's two laws, register setup:")
    runs = (("default corpus", alone, frozenset()), (f"default corpus + {laws} register laws", together, frozenset()),
            ("the same, the two laws in scope (EQUASS_LAWS_IN_SCOPE)", together, frozenset(DEFAULT_CORPUS_LAWS)))
    for name, index_dir, in_scope in runs:
        result = _in_child(_distraction_child, index_dir, settings, in_scope)
        r, a = result["retrieval"], result["answers"]
        console.print(f"  {name} ({result['chunks']} chunks, {result['questions']} questions): retrieval hit@1 "
                      f"{r['hit@1']:.3f}, hit@5 {r['hit@5']:.3f}; answers hit@1 {a['hit@1']:.3f}, hit@3 {a['hit@3']:.3f}, "
                      f"refused {a['refused']:.3f}, wrong {a['wrong']:.3f}")


def distraction_index(slice_index: Path) -> Path:
    """The default corpus added to a slice's index."""
    return SCALE_DIR / f"corpus-and-{slice_index.name}"


def has_register_setup(index_dir: Path) -> bool:
    try:
        manifest = load_index(index_dir).manifest
    except Exception:
        return False
    return all(manifest.get(key) == value for key, value in REGISTER_SETUP.items())


def distraction_slice(settings: Settings, laws: Path, count: int, console: Console) -> Path:
    """The index of the first ``count`` laws for the distraction part (built here when missing)."""
    index_dir = SCALE_DIR / f"index-{count}"
    if not has_register_setup(index_dir):
        source = register_slice(laws, count, SCALE_DIR / f"laws-{count}.jsonl")
        result = _in_child(_ingest_child, source, index_dir, settings.model_copy(update=REGISTER_SETUP))
        shutil.rmtree(distraction_index(index_dir), ignore_errors=True)
        console.print(f"(ingested {count} laws for the distraction part: {result['chunks']} chunks in "
                      f"{result['seconds']:.0f} s, register setup)")
    return index_dir


def _ingest_corpus_child(index_dir: Path, settings: Settings) -> None:
    ingest([settings.corpus_dir], index_dir, settings, show_progress=False)


def bench_publish(console: Console) -> None:
    from ingest.index_store import current_generation
    from service.accounts.database import migrate, open_database
    from tests.postgres_fixtures import start_postgres

    source = SCALE_DIR / f"latency-{LATENCY_SIZES[-1]}"
    generation = current_generation(source)
    if generation is None:
        raise SystemExit(f"No {source}: run python -m evaluation bench --scale --only latency first")
    server = start_postgres()
    try:
        url = server.new_database()
        migrate(open_database(url))
        result = _in_child(_publish_child, url, generation)
        replica = _in_child(_materialise_child, url)
        size = server.run("psql", "-h", "127.0.0.1", "-p", str(server.port), "-d", url.rsplit("/", 1)[1], "-tAc",
                          "select pg_database_size(current_database())").stdout.strip()
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)
    console.print(f"Publish: the {LATENCY_SIZES[-1]:,}-chunk index ({result['mib']:.0f} MiB of files) published to "
                  f"PostgreSQL in {result['seconds']:.1f} s (peak RSS {result['peak_mib']:.0f} MiB); written from it "
                  f"into an empty index folder, as a new replica does, in {replica['seconds']:.1f} s (peak RSS "
                  f"{replica['peak_mib']:.0f} MiB), {replica['chunks']:,} chunks loaded; database "
                  f"{int(size) / 2**20:.0f} MiB")


def _publish_child(url: str, generation: Path) -> dict:
    from ingest.shared_index import SharedIndex

    size = sum(p.stat().st_size for p in generation.rglob("*") if p.is_file()) / 2**20
    started = time.perf_counter()
    SharedIndex.open(url).publish(generation)
    return {"seconds": time.perf_counter() - started, "mib": size, "peak_mib": peak_rss_mib()}


def _materialise_child(url: str) -> dict:
    import tempfile

    from ingest.shared_index import SharedIndex

    target = Path(tempfile.mkdtemp(prefix="equass-replica-"))
    try:
        started = time.perf_counter()
        SharedIndex.open(url).materialise(target, 60)
        seconds = time.perf_counter() - started
        peak = peak_rss_mib()
        return {"seconds": seconds, "peak_mib": peak, "chunks": len(load_index(target).chunks)}
    finally:
        shutil.rmtree(target, ignore_errors=True)


SCALE_PARTS = ("ingest", "latency", "distraction", "publish")


def run_scale(settings: Settings, laws: Path, query_count: int, only: str = "all",
              distraction_laws: int | None = None) -> None:
    """All four parts, or one (``only``); latency, distraction and publish then use the indexes an
    earlier ingest (and latency) part left in data/bench/scale/. ``distraction_laws``: the distraction part
    adds that many laws of the register (ingested for it when missing) instead of the largest
    ingest slice."""
    console = Console(width=120)
    if not laws.exists():
        raise SystemExit(f"The law register {laws} is missing; pass --laws PATH")
    if only in ("all", "ingest"):
        largest = bench_ingest_scale(settings, laws, console)
    else:
        largest = SCALE_DIR / f"index-{INGEST_SIZES[-1]}"
        try:
            load_index(largest)
        except Exception:
            raise SystemExit(f"No {largest}: run python -m evaluation bench --scale --only ingest first")
    if only in ("all", "latency"):
        bench_latency_scale(settings, largest, query_count, console)
    if only in ("all", "distraction"):
        source = distraction_slice(settings, laws, distraction_laws, console) if distraction_laws else largest
        bench_distraction(settings, source, console)
    if only in ("all", "publish"):
        bench_publish(console)
