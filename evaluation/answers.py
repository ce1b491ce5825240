"""Answer quality: quotes that hold the gold span, exactness, abstention, follow-ups."""

import itertools
from collections import defaultdict

from rich.console import Console
from rich.table import Table

from evaluation.gold import GoldQuestion, span_in
from service.answering import NEVER_ABSTAIN, Answer, Answerer, Thresholds, should_abstain


def run_question(answerer: Answerer, question: GoldQuestion) -> Answer:
    """Ask the question after its history, as a conversation would."""
    history = []
    for earlier in question.history:
        history.append(answerer.answer(earlier, history, question.organization).turn())
    return answerer.answer(question.question, history, question.organization)


def exact(answerer: Answerer, answer: Answer) -> bool:
    documents = answerer.engine.index.documents
    return all(q.text == documents[q.document_id].text[q.char_start:q.char_end] for q in answer.quotes)


def holds(answer: Answer, question: GoldQuestion, count: int) -> bool:
    return any(q.document_id == question.document_id and span_in(question.answer, q.text) for q in answer.quotes[:count])


def report(answerer: Answerer, questions: list[GoldQuestion], show_signals: bool = False,
           console: Console | None = None) -> dict:
    console = console or Console()
    rows = []
    for question in questions:
        answer = run_question(answerer, question)
        rows.append((question, answer))

    by_kind: dict[str, list] = defaultdict(list)
    for question, answer in rows:
        by_kind[question.kind].append((question, answer))

    table = Table(title=f"Answers over {len(rows)} gold questions")
    for column in ("kind", "n", "hit@1 quote", "hit@3 quotes", "refused", "exact"):
        table.add_column(column, justify="right")
    totals = {}
    for kind in sorted(by_kind):
        items = by_kind[kind]
        answerable = [(q, a) for q, a in items if q.answerable]
        hit1 = sum(holds(a, q, 1) for q, a in answerable)
        hit3 = sum(holds(a, q, 3) for q, a in answerable)
        refused = sum(a.abstained for _, a in items)
        exact_count = sum(exact(answerer, a) for _, a in items)
        n_ans = len(answerable) or 1
        table.add_row(kind, str(len(items)),
                      f"{hit1 / n_ans:.3f}" if answerable else "-", f"{hit3 / n_ans:.3f}" if answerable else "-",
                      f"{refused}/{len(items)}", f"{exact_count}/{len(items)}")
        totals[kind] = {"n": len(items), "hit@1": hit1 / n_ans, "hit@3": hit3 / n_ans, "refused": refused}
    console.print(table)

    answerable = [(q, a) for q, a in rows if q.answerable]
    unanswerable = [(q, a) for q, a in rows if not q.answerable]
    abstained = [(q, a) for q, a in rows if a.abstained]
    correct_abstentions = sum(not q.answerable for q, _ in abstained)
    precision = correct_abstentions / len(abstained) if abstained else 0.0
    recall = correct_abstentions / len(unanswerable) if unanswerable else 0.0
    wrongly_refused = sum(a.abstained for _, a in answerable)
    wrongly_answered = sum(not a.abstained for _, a in unanswerable)
    quotes = sum(len(a.quotes) for _, a in rows)
    exact_quotes = sum(exact(answerer, a) for _, a in rows)
    followups = [(q, a) for q, a in rows if q.kind == "followup"]
    summary = {
        "hit@1": sum(holds(a, q, 1) for q, a in answerable) / (len(answerable) or 1),
        "hit@3": sum(holds(a, q, 3) for q, a in answerable) / (len(answerable) or 1),
        "quote_exactness": exact_quotes / (len(rows) or 1),
        "abstention_precision": precision,
        "abstention_recall": recall,
        "wrongly_refused": wrongly_refused,
        "wrongly_answered": wrongly_answered,
        "followup_accuracy": sum(holds(a, q, 3) for q, a in followups) / (len(followups) or 1),
        "quotes": quotes,
    }
    console.print(
        f"All answerable: hit@1 {summary['hit@1']:.3f}, hit@3 {summary['hit@3']:.3f} ({len(answerable)} questions)\n"
        f"Quote exactness: {exact_quotes}/{len(rows)} answers, {quotes} quotes\n"
        f"Abstention: precision {precision:.3f}, recall {recall:.3f}; "
        f"answerable wrongly refused {wrongly_refused}/{len(answerable)}, "
        f"unanswerable wrongly answered {wrongly_answered}/{len(unanswerable)}\n"
        f"Follow-ups: {summary['followup_accuracy']:.3f} ({len(followups)} two-turn questions)"
    )
    for question, answer in rows:
        wrong = (question.answerable and not holds(answer, question, 3)) or (not question.answerable and not answer.abstained)
        if wrong or show_signals:
            marker = "[red]wrong[/red]" if wrong else "ok"
            got = answer.quotes[0].document_id if answer.quotes else "abstained"
            console.print(f"{marker} {question.id} {question.kind} {question.question!r} -> {got} {answer.signals}")
    return {"by_kind": totals, **summary}


def sweep(answerer: Answerer, questions: list[GoldQuestion], console: Console | None = None) -> None:
    """Calibrate the abstention thresholds: answer everything once, then try thresholds on the signals.

    An answerable question counts as handled when it is answered and a gold span is among the
    quotes; an unanswerable one when it is refused. Both kinds of error are reported.
    """
    console = console or Console()
    shipped = answerer.thresholds
    answerer.thresholds = NEVER_ABSTAIN
    try:
        rows = [(q, run_question(answerer, q)) for q in questions]
    finally:
        answerer.thresholds = shipped
    rows = [(q, a) for q, a in rows if a.signals and "cosine" in a.signals]

    def errors(thresholds: Thresholds) -> tuple[int, int, int]:
        refused_right = answered_wrong = refused_wrong = 0
        for question, answer in rows:
            refuse = should_abstain(answer.signals, answer.resolved.english, answer.resolved.follow_up, thresholds)
            if question.answerable:
                refused_wrong += refuse and holds(answer, question, 3)
            else:
                answered_wrong += not refuse
                refused_right += refuse
        return refused_wrong, answered_wrong, refused_right

    answerable = sum(q.answerable for q, _ in rows)
    console.print(f"{len(rows)} questions scored ({answerable} answerable). Errors: refused = answerable questions "
                  f"whose quotes held the gold span but were refused; answered = unanswerable questions answered.")
    results = []
    for coverage, cosine, english, follow_up in itertools.product(
            (0.3, 0.4, 0.5, 0.6, 0.7), (0.78, 0.80, 0.82, 0.84, 0.86), (0.78, 0.80, 0.82, 0.84, 0.86), (0.0, 0.2, 0.3, 0.4)):
        thresholds = Thresholds(coverage, cosine, english, follow_up)
        refused_wrong, answered_wrong, _ = errors(thresholds)
        results.append((refused_wrong + answered_wrong, refused_wrong, answered_wrong, thresholds))
    results.sort(key=lambda r: (r[0], r[1]))
    table = Table(title="Abstention thresholds by total errors")
    for column in ("errors", "answerable refused", "unanswerable answered", "coverage", "cosine", "english cosine", "follow-up coverage"):
        table.add_column(column, justify="right")
    for total, refused_wrong, answered_wrong, t in results[:12]:
        table.add_row(str(total), str(refused_wrong), str(answered_wrong), str(t.min_coverage), str(t.min_cosine),
                      str(t.min_english_cosine), str(t.min_follow_up_coverage))
    console.print(table)
    trade_off = Table(title="Trade-off: best setting at each coverage threshold")
    for column in ("coverage", "errors", "answerable refused", "unanswerable answered", "cosine", "english cosine", "follow-up coverage"):
        trade_off.add_column(column, justify="right")
    for coverage in sorted({r[3].min_coverage for r in results}):
        total, refused_wrong, answered_wrong, t = min((r for r in results if r[3].min_coverage == coverage), key=lambda r: (r[0], r[1]))
        trade_off.add_row(str(coverage), str(total), str(refused_wrong), str(answered_wrong), str(t.min_cosine),
                          str(t.min_english_cosine), str(t.min_follow_up_coverage))
    console.print(trade_off)
    refused_wrong, answered_wrong, _ = errors(shipped)
    console.print(f"Shipped {shipped}: answerable refused {refused_wrong}, unanswerable answered {answered_wrong}")
