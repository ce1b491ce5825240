"""``python -m evaluation retrieval|answers|principles|bench``: measure quality and speed."""

import argparse
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingest.settings import get_settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m evaluation", description=__doc__)
    parser.add_argument("command", choices=["retrieval", "answers", "principles", "bench"])
    parser.add_argument("--index", type=Path, default=settings.index_dir)
    parser.add_argument("--sweep", action="store_true", help="retrieval: sweep the dense weight; answers: calibrate abstention; principles: sweep the tagger")
    parser.add_argument("--signals", action="store_true", help="answers: print the abstention signals of every question")
    parser.add_argument("--laws", type=Path, default=settings.corpus_dir.parent.parent / "shared" / "corpora" / "lt-laws.jsonl.gz",
                        help="bench: the large law corpus used for the 1k and 10k chunk indexes")
    parser.add_argument("--queries", type=int, default=200, help="bench: queries per latency measurement")
    parser.add_argument("--only", choices=["all", "speed", "load", "hostile"], default="all",
                        help="bench: one part only (speed: ingest, search and ask latency; load: concurrent clients "
                             "against the service; hostile: the hostile-file suite in one ingest)")
    parser.add_argument("--clients", type=int, default=100, help="bench load: concurrent clients")
    parser.add_argument("--seconds", type=float, default=60.0, help="bench load: how long the load runs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = settings.model_copy(update={"index_dir": args.index})

    if args.command == "bench":
        from evaluation.bench import run_bench

        run_bench(settings, args.laws, args.queries, args.only, args.clients, args.seconds)
        return 0
    if args.command == "principles":
        from evaluation.principles import report as principles_report

        principles_report(settings, sweep=args.sweep)
        return 0

    from evaluation.gold import load_gold
    from service.engine import Engine

    engine = Engine.load(settings)
    questions = load_gold()
    if args.command == "retrieval":
        from evaluation.retrieval import report

        report(engine.searcher, questions, sweep=args.sweep)
    else:
        from evaluation.answers import report
        from service.answering import Answerer
        from service.coverage import Coverage

        answerer = Answerer(engine, Coverage(engine))
        report(answerer, questions, show_signals=args.signals)
        if args.sweep:
            from evaluation.answers import sweep

            sweep(answerer, questions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
