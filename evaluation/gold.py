"""The gold set: staff questions with the verbatim spans that answer them.

``evaluation/data/gold.jsonl`` holds one question per line: its ``kind`` (how it is written:
fact, paraphrase, no_diacritics, english, list, organization, short, followup, unanswerable), its
``type`` (what it asks: definition, list, deadline, amount, responsible, may_must, ...), the
``organization`` it is asked for, earlier questions of the conversation (``history``), the
acceptable ``answers`` (document and verbatim span; none for an unanswerable question) and its
``split``. The set was split once, by writer: ``tune`` (writers 1 and 3, and writers 5 to 9, who
were added later) is used to fit and calibrate the answer step, ``test`` (writers 2 and 4) only to
report. The files of ``FRESH_PATHS`` (split ``fresh``) are in neither part: later writers' questions,
answered as a check once the choices they could have swayed were made.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.records import Document

GOLD_PATH = Path(__file__).parent / "data" / "gold.jsonl"
# Questions in neither part, written after every choice was made, each answered once as a check:
# 50 near misses the documents cannot answer (writer 10) and 80 questions of every kind (writer 11).
FRESH_PATHS = (Path(__file__).parent / "data" / "fresh-unanswerable.jsonl",
               Path(__file__).parent / "data" / "fresh-questions.jsonl")
SPLITS = ("tune", "test")
SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class GoldSpan:
    document_id: str
    text: str


@dataclass
class GoldQuestion:
    id: str
    kind: str
    type: str
    question: str
    organization: str | None
    history: list[str]
    answers: list[GoldSpan]
    split: str
    extra: dict = field(default_factory=dict)

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    def held_by(self, document_id: str, text: str) -> bool:
        """Whether a quote of ``document_id`` contains one of the gold spans (spacing ignored)."""
        quoted = squash(text)
        return any(a.document_id == document_id and squash(a.text) in quoted for a in self.answers)


def load_gold(path: Path = GOLD_PATH, split: str | None = None) -> list[GoldQuestion]:
    """The gold questions, all of them or one split."""
    questions = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            data = json.loads(line)
            data["answers"] = [GoldSpan(a["document_id"], a["text"]) for a in data["answers"]]
            question = GoldQuestion(**data)
            if split is None or question.split == split:
                questions.append(question)
    return questions


def squash(text: str) -> str:
    return SPACE.sub(" ", text).strip()


def locate(answer: str, document: Document) -> tuple[int, int] | None:
    """Char range of ``answer`` in the cleaned document text, ignoring differences in spacing."""
    position = document.text.find(answer)
    if position >= 0:
        return position, position + len(answer)
    words = [re.escape(w) for w in answer.split()]
    match = re.search(r"\s+".join(words), document.text)
    return (match.start(), match.end()) if match else None
