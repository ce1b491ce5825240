"""Answer quality on the gold set: is the gold span quoted, is an unanswerable question refused.

For an answerable question: hit@1 (the first quote holds a gold span), hit@3 (one of the first
three does), refused, and wrong (answered, but no quote holds a gold span: the failure that looks
authoritative), and how often a refusal's nearest passages hold the answer. For an unanswerable
question: refused or not. Every quote and passage is checked to be the exact text of its document
at its offsets.
"""

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from evaluation.gold import GoldQuestion


@dataclass
class Outcome:
    question: GoldQuestion
    abstained: bool
    quoted: list[tuple[str, str]]  # (document_id, text) of each quote, in order
    exact: bool
    nearest: list[tuple[str, str]] = ()  # with a refusal: the passages it points at

    @property
    def nearest_hit(self) -> bool:
        """Refused, but one of the nearest passages it points at holds the answer."""
        return self.abstained and any(self.question.held_by(d, t) for d, t in self.nearest)

    @property
    def hit1(self) -> bool:
        return any(self.question.held_by(d, t) for d, t in self.quoted[:1])

    @property
    def hit3(self) -> bool:
        return any(self.question.held_by(d, t) for d, t in self.quoted[:3])

    @property
    def wrong(self) -> bool:
        """Answered without the answer: for an answerable question no gold span quoted, for an
        unanswerable one any answer at all."""
        return not self.abstained and not self.hit3


def run_question(answerer, question: GoldQuestion):
    """Ask the question after its history, as a conversation would."""
    history = []
    for earlier in question.history:
        history.append(answerer.answer(earlier, history, question.organization).turn())
    return answerer.answer(question.question, history, question.organization)


def outcome(answerer, question: GoldQuestion, answer) -> Outcome:
    documents = answerer.engine.index.documents
    nearest = getattr(answer, "nearest", [])  # the first version's answers (the "before" numbers) have none
    exact = all(q.text == documents[q.document_id].text[q.char_start:q.char_end] for q in [*answer.quotes, *nearest])
    return Outcome(question, answer.abstained, [(q.document_id, q.text) for q in answer.quotes], exact,
                   [(q.document_id, q.text) for q in nearest])


def summarize(outcomes: list[Outcome]) -> dict:
    """Rates over answerable and unanswerable questions, overall and per kind."""
    def rates(items: list[Outcome]) -> dict:
        answerable = [o for o in items if o.question.answerable]
        unanswerable = [o for o in items if not o.question.answerable]
        n = len(answerable)
        return {
            "questions": len(items),
            "answerable": n,
            "hit@1": sum(o.hit1 for o in answerable) / n if n else None,
            "hit@3": sum(o.hit3 for o in answerable) / n if n else None,
            "refused": sum(o.abstained for o in answerable) / n if n else None,
            "wrong": sum(o.wrong for o in answerable) / n if n else None,
            "refused_nearest_hit": sum(o.nearest_hit for o in answerable) / n if n else None,
            "unanswerable": len(unanswerable),
            "unanswerable_refused": (sum(o.abstained for o in unanswerable) / len(unanswerable)) if unanswerable else None,
        }

    by_kind = defaultdict(list)
    for o in outcomes:
        by_kind[o.question.kind].append(o)
    quotes = sum(len(o.quoted) for o in outcomes)
    return {
        "overall": rates(outcomes),
        "by_kind": {kind: rates(items) for kind, items in sorted(by_kind.items())},
        "quotes": quotes,
        "exact_answers": sum(o.exact for o in outcomes),
        "answers": len(outcomes),
    }


def evaluate(answerer, questions: list[GoldQuestion]) -> list[Outcome]:
    return [outcome(answerer, q, run_question(answerer, q)) for q in questions]


def _cell(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_summary(summary: dict, title: str, console: Console) -> None:
    table = Table(title=title)
    for column in ("kind", "n", "hit@1", "hit@3", "refused", "wrong", "refused, nearest holds it", "unanswerable refused"):
        table.add_column(column, justify="right")
    for kind, r in [*summary["by_kind"].items(), ("ALL", summary["overall"])]:
        table.add_row(kind, str(r["questions"]), _cell(r["hit@1"]), _cell(r["hit@3"]), _cell(r["refused"]),
                      _cell(r["wrong"]), _cell(r["refused_nearest_hit"]), _cell(r["unanswerable_refused"]))
    console.print(table)
    o = summary["overall"]
    console.print(f"answerable {o['answerable']}: hit@1 {_cell(o['hit@1'])}, hit@3 {_cell(o['hit@3'])}, "
                  f"refused {_cell(o['refused'])} (the nearest passages hold the answer for {_cell(o['refused_nearest_hit'])}), "
                  f"wrong {_cell(o['wrong'])}; unanswerable {o['unanswerable']}: "
                  f"refused {_cell(o['unanswerable_refused'])}; exact quotes in {summary['exact_answers']}/{summary['answers']} "
                  f"answers ({summary['quotes']} quotes)")


def report(answerer, questions: list[GoldQuestion], title: str, show_errors: bool = False,
           json_path: Path | None = None, console: Console | None = None) -> dict:
    console = console or Console()
    outcomes = evaluate(answerer, questions)
    summary = summarize(outcomes)
    print_summary(summary, title, console)
    if show_errors:
        for o in outcomes:
            if o.wrong or (o.question.answerable and o.abstained) or (o.question.answerable and not o.hit1):
                what = "refused" if o.abstained else ("wrong" if o.wrong else "hit@3 only")
                got = o.quoted[0][0] if o.quoted else "-"
                console.print(f"{what} {o.question.id} {o.question.kind}/{o.question.type} "
                              f"{o.question.question!r} -> {got}", markup=False, highlight=False)
    if json_path is not None:
        json_path.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return summary
