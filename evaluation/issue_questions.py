"""``python -m evaluation.issue_questions``: the questions the answers issue was opened with, asked
through ``POST /api/ask`` of the real app over the default index, and what each gets now.

"Per kiek dienų turi būti išnagrinėtas paslaugų gavėjo skundas?" is asked for the Kauno rajono
centre with a complaints procedure of its own ingested on top (into a copy of the index; the
served index is not touched), as it was when the issue was opened; the procedure says 15 working
days, the data-protection law's "per 4 mėnesius" is another body's deadline.
"""

import shutil
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient

from ingest.pipeline import ingest
from ingest.settings import get_settings
from service.app import create_app

PROCEDURE = Path(__file__).parent / "data" / "documents" / "kaunas-skundu-tvarka.txt"
KAUNAS = "Kauno rajono socialinių paslaugų centras"
QUESTIONS: list[tuple[str, str | None]] = [
    ("Kaip dažnai vertinama kokybė Kauno rajono socialinių paslaugų centre?", None),
    ("Kaip turi būti nagrinėjami paslaugų gavėjų skundai?", None),
    ("Per kiek dienų turi būti išnagrinėtas paslaugų gavėjo skundas?", KAUNAS),
    ("Kas yra socialinė globa?", None),
    ("Kokios yra socialinių paslaugų rūšys?", None),
    ("Kas moka už socialines paslaugas?", None),
    ("Kas turi teisę gauti socialines paslaugas?", None),
    ("Koks socialinio darbuotojo minimalus atlyginimas 2025 metais?", None),
]
SHOWN = 600  # characters of each quote


def main() -> None:
    settings = get_settings()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        index_dir = folder / "index"
        shutil.copytree(settings.index_dir, index_dir, symlinks=True)
        policies = folder / "policies"
        policies.mkdir()
        shutil.copy(PROCEDURE, policies / PROCEDURE.name)
        trial = settings.model_copy(update={"index_dir": index_dir, "conversation_db": folder / "c.sqlite3"})
        ingest([policies], index_dir, trial, organization=KAUNAS, show_progress=False)
        with TestClient(create_app(trial)) as client:
            for question, organization in QUESTIONS:
                payload = {"question": question} | ({"organization": organization} if organization else {})
                answer = client.post("/api/ask", json=payload).json()
                print(f"Q: {question}" + (f"  [organization: {organization}]" if organization else ""))
                if answer["abstained"]:
                    print("   refused: " + answer["answer"].splitlines()[0])
                    for quote in answer["nearest"][:1]:
                        print(f"   nearest ({quote['document_id']}): {quote['text'][:SHOWN]!r}")
                for quote in answer["quotes"]:
                    print(f"   quote ({quote['document_id']}): {quote['text'][:SHOWN]!r}")
                print()


if __name__ == "__main__":
    main()
