"""``python -m evaluation retrieval|answers|train|crossfit|verifier|principles|bench``: measure quality and speed."""

import argparse
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingest.settings import get_settings  # noqa: E402


def training_questions(settings):
    """The training questions of other documents with an answerer over their index (built once),
    weighing nothing yet."""
    from evaluation.train import neutral_model
    from evaluation.training_pairs import pair_questions, training_index
    from service.answering import Answerer
    from service.coverage import Coverage
    from service.engine import Engine

    other = Engine.load(settings.model_copy(update={"index_dir": training_index(settings, settings.corpus_dir)}))
    return Answerer(other, Coverage(other), model=neutral_model()), pair_questions()


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m evaluation", description=__doc__)
    parser.add_argument("command", choices=["retrieval", "answers", "train", "crossfit", "verifier", "principles", "bench"])
    parser.add_argument("--index", type=Path, default=settings.index_dir)
    parser.add_argument("--split", choices=["tune", "test", "all"], default=None,
                        help="answers/retrieval: which part of the gold set (default: tune and test side by side)")
    parser.add_argument("--errors", action="store_true", help="answers: list the questions answered wrongly or refused")
    parser.add_argument("--json", type=Path, default=None, help="answers: also write the summary to this file")
    parser.add_argument("--gold", type=Path, default=None,
                        help="answers: the questions of this file (gold.jsonl's format), all of them, instead of the gold set's parts "
                             "(for the fresh questions in neither part, evaluation/data/fresh-*.jsonl)")
    parser.add_argument("--sweep", action="store_true", help="retrieval: sweep the dense weight; principles: sweep the tagger")
    parser.add_argument("--threshold", type=float, default=None,
                        help="answers: answer at this refusal-model probability instead of the fitted threshold "
                             "(to see the trade-off between answering more and wrong answers)")
    parser.add_argument("--no-pairs", action="store_true",
                        help="train, crossfit: fit on the tuning questions only, without the training questions of other documents")
    parser.add_argument("--splits", type=int, default=1,
                        help="crossfit: answer the tuning part under this many fold splits (the first is the default "
                             "one, the others shuffled) and print each and their mean")
    parser.add_argument("--misses", action="store_true", help="principles: print every labelled passage the tagger gets wrong")
    parser.add_argument("--laws", type=Path, default=settings.corpus_dir.parent.parent / "shared" / "corpora" / "lt-laws.jsonl.gz",
                        help="bench: the large law corpus used for the 1k and 10k chunk indexes")
    parser.add_argument("--scale", action="store_true",
                        help="bench: the law register at scale (ingest speed and its extrapolation, latency at 10k-300k "
                             "chunks, distraction); takes about half an hour")
    parser.add_argument("--queries", type=int, default=200, help="bench: queries per latency measurement")
    parser.add_argument("--only", choices=["all", "speed", "ask", "load", "hostile", "ingest", "latency", "distraction",
                                           "publish"],
                        default="all",
                        help="bench: one part only (speed: ingest, search and ask latency; ask: answer latency idle and with "
                             "the other core busy; load: concurrent clients "
                             "against the service; hostile: the hostile-file suite in one ingest); bench --scale: ingest, "
                             "latency, distraction or publish (to PostgreSQL)")
    parser.add_argument("--distraction-laws", type=int, default=None,
                        help="bench --scale: the distraction part adds this many laws of the register (ingested for it "
                             "when missing) instead of the largest ingest slice")
    parser.add_argument("--clients", type=int, default=100, help="bench load: concurrent clients")
    parser.add_argument("--seconds", type=float, default=60.0, help="bench load: how long the load runs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = settings.model_copy(update={"index_dir": args.index})

    if args.command == "bench":
        from evaluation.scale import SCALE_PARTS

        if args.only != "all" and (args.only in SCALE_PARTS) != args.scale:
            parser.error(f"--only {args.only} is a part of bench {'without' if args.scale else 'with'} --scale")
        if args.scale:
            from evaluation.scale import run_scale

            run_scale(settings, args.laws, args.queries, args.only, args.distraction_laws)
            return 0
        from evaluation.bench import run_bench

        run_bench(settings, args.laws, args.queries, args.only, args.clients, args.seconds)
        return 0
    if args.command == "principles":
        from evaluation.principles import report as principles_report

        principles_report(settings, sweep=args.sweep, show_misses=args.misses)
        return 0

    from evaluation.gold import SPLITS, load_gold
    from service.engine import Engine

    engine = Engine.load(settings)
    splits = SPLITS if args.split is None else (("tune", "test") if args.split == "all" else (args.split,))
    if args.command == "retrieval":
        from evaluation.retrieval import report

        for split in splits:
            report(engine.searcher, load_gold(split=split), title=f"{split} questions", sweep=args.sweep)
        return 0

    from service.answering import Answerer
    from service.coverage import Coverage

    if args.command == "verifier":
        from rich.console import Console

        from evaluation.train import fit_rounds, neutral_model
        from evaluation.verifier import groups_of, train_verifier

        extra = training_questions(settings)
        other = extra[0].engine
        # The hard negatives are the training questions' most probable quotes as the second round
        # of fitting the answer model ranks them (features made with query adapters that did not
        # see their question), not as the served model ranks them: the served query adapter was
        # fitted on these questions and finds their answers too easily.
        fitted = fit_rounds(Answerer(engine, Coverage(engine), model=neutral_model()), load_gold(split="tune"), extra,
                            Console())
        groups = groups_of(fitted.extra_examples, other.index.documents)
        print(train_verifier(Path(settings.model), groups))
        print("Wrote ingest/finetune_data/verifier; rebuild the model folder with: python -m ingest.model_build")
        return 0

    if args.command in ("train", "crossfit"):
        from evaluation.train import cross_fit_splits, neutral_model, print_splits, train

        answerer = Answerer(engine, Coverage(engine), model=neutral_model())
        extra = None if args.no_pairs else training_questions(settings)
        if args.command == "crossfit":
            from rich.console import Console

            from evaluation.answers import print_summary

            console = Console()
            results = cross_fit_splits(answerer, load_gold(split="tune"), extra, console, args.splits)
            print_summary(results[0].summary, "Tuning questions, each answered by models fitted without it (5 parts)",
                          console)
            print_splits(results, console)
            return 0
        model, adapter = train(answerer, load_gold(split="tune"), extra)
        model.save()
        adapter.save()
        print("Wrote service/answer_model.json and service/query_adapter.npz")
        return 0

    from evaluation.answers import report

    answerer = Answerer(engine, Coverage(engine))
    if args.threshold is not None:
        answerer.model.answer_threshold = args.threshold
    if args.gold is not None:
        report(answerer, load_gold(args.gold), f"Answers, {args.gold.name}", show_errors=args.errors, json_path=args.json)
        return 0
    for split in splits:
        json_path = args.json.with_name(f"{args.json.stem}-{split}{args.json.suffix}") if args.json and len(splits) > 1 else args.json
        report(answerer, load_gold(split=split), f"Answers, {split} questions", show_errors=args.errors, json_path=json_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
