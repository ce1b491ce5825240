"""Answer quality: quotes that hold the gold span, exactness, abstention, follow-ups."""

from collections import defaultdict

from rich.console import Console
from rich.table import Table

from evaluation.gold import GoldQuestion, span_in
from service.answering import Answer, Answerer


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
