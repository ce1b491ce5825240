"""The gold set: questions with the document and verbatim span that answer them."""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.records import Document

GOLD_PATH = Path(__file__).parent / "data" / "gold.jsonl"
SPACE = re.compile(r"\s+")


@dataclass
class GoldQuestion:
    id: str
    kind: str
    question: str
    document_id: str | None
    answer: str | None
    history: list[str] = field(default_factory=list)
    organization: str | None = None

    @property
    def answerable(self) -> bool:
        return self.document_id is not None


def load_gold(path: Path = GOLD_PATH) -> list[GoldQuestion]:
    with open(path, encoding="utf-8") as lines:
        return [GoldQuestion(**json.loads(line)) for line in lines if line.strip()]


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


def span_in(answer: str, text: str) -> bool:
    """Whether a quote or passage contains the gold answer (spacing ignored)."""
    return squash(answer) in squash(text)
