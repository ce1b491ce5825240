"""More examples for the answer model, from documents outside the default corpus.

The tuning questions are few (220) and all about the default corpus. The staff-style questions
in ``ingest/finetune_data/pairs.jsonl`` were written for passages of 17 other social-welfare laws
of the register and of eight policies of a fictional centre ("Žaliakalnio socialinių paslaugų
centras"), so they teach the answer model how paraphrases, keyword queries and English questions
meet legal and policy text, without touching the test questions or the default corpus's own
answers. They are answered over an index of those documents together with the default corpus
(which then serves as distraction), built once into ``data/training-index``.
"""

import gzip
import json
import tempfile
from pathlib import Path

from evaluation.gold import GoldQuestion, GoldSpan
from ingest.finetune import LAWS_PATH, PAIRS_PATH, POLICIES_DIR, load_pairs
from ingest.index_store import IndexNotFound, load_index
from ingest.pipeline import ingest
from ingest.settings import PROJECT_ROOT, Settings

TRAINING_INDEX = PROJECT_ROOT / "data" / "training-index"
POLICY_ORGANIZATION = "Žaliakalnio socialinių paslaugų centras"


def pair_questions(path: Path = PAIRS_PATH) -> list[GoldQuestion]:
    """The pairs as gold questions: a follow-up pair ("earlier || follow-up") keeps its earlier
    question as history; questions about the centre's policies are asked for the centre."""
    questions = []
    for pair in load_pairs(path):
        history, question = [], pair.question
        if "||" in question:
            earlier, question = (part.strip() for part in question.split("||", 1))
            history = [earlier]
        policy = (POLICIES_DIR / f"{pair.document_id}.txt").exists()
        questions.append(GoldQuestion(pair.id, pair.kind, "other", question, POLICY_ORGANIZATION if policy else None,
                                      history, [GoldSpan(pair.document_id, pair.passage)], "training"))
    return questions


def training_index(settings: Settings, corpus_dir: Path, laws: Path = LAWS_PATH) -> Path:
    """An index of the pairs' documents and the default corpus, built once."""
    try:
        load_index(TRAINING_INDEX)
        return TRAINING_INDEX
    except IndexNotFound:
        pass
    wanted = {pair.document_id for pair in load_pairs()} - {p.stem for p in POLICIES_DIR.glob("*.txt")}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with gzip.open(laws, "rt", encoding="utf-8") as lines, open(folder / "laws.jsonl", "w", encoding="utf-8") as out:
            for line in lines:
                if json.loads(line)["id"] in wanted:
                    out.write(line)
        policies = folder / "policies"
        policies.mkdir()
        entries = []
        for path in sorted(POLICIES_DIR.glob("*.txt")):
            (policies / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
            entries.append({"path": f"policies/{path.name}", "id": path.stem, "organization": POLICY_ORGANIZATION})
        (folder / "manifest.json").write_text(json.dumps({"documents": entries}, ensure_ascii=False), encoding="utf-8")
        ingest([corpus_dir, folder], TRAINING_INDEX, settings.model_copy(update={"index_dir": TRAINING_INDEX}))
    return TRAINING_INDEX
