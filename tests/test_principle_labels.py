"""The hand labels behind the tagger's precision and recall stay valid: every passage is the exact
text of the default corpus at its offsets, and labels name real principles."""

import json
from pathlib import Path

from evaluation.principles import LABELS_PATH, SOURCES
from ingest.documents import discover, read_documents
from ingest.readers import ReadLimits
from ingest.principles import BY_ID
from ingest.settings import PROJECT_ROOT


def test_labelled_passages_are_exact_spans_of_the_corpus():
    documents = {d.document_id: d for path in discover([PROJECT_ROOT / "corpus"]).files
                 for d in read_documents(path, ReadLimits(10**8, 10**9)).documents}
    rows = [json.loads(line) for line in Path(LABELS_PATH).read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 150
    assert {row["source"] for row in rows} == set(SOURCES)
    for row in rows:
        assert documents[row["document_id"]].text[row["char_start"]:row["char_end"]] == row["text"]
        assert set(row["principles"]) <= set(BY_ID)
    assert all(any(principle in row["principles"] for row in rows if row["source"] == "organization")
               for principle in BY_ID)
