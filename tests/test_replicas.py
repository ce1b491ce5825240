"""Several replicas on one PostgreSQL: the stores and the published index generations against a real
PostgreSQL (started by the tests from the machine's binaries), then two real service processes on
two ports: a document uploaded through one is answered by the other without a restart, a
conversation begun on one continues on the other, and killing one loses nothing."""

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import bm25s
import httpx
import numpy as np
import psycopg
import pytest
from sqlalchemy import func, select

from ingest.index_store import IndexWriteError, current_generation, load_index, write_generation
from ingest.records import Chunk, Document
from ingest.settings import PROJECT_ROOT
from ingest.shared_index import CHANNEL, SharedIndex, index_blobs, upload_files
from service.accounts.database import migrate, open_database
from service.accounts.tables import turns
from service.accounts.store import COORDINATOR, AccountStore
from service.conversations import ConversationStore, Turn
from service.feedback import REFUSED, FeedbackStore
from service.index_follower import IndexFollower, libpq_url
from tests.postgres_fixtures import database_url, free_port, postgres  # noqa: F401 - fixtures are used by name

ORGANIZATION = "Kauno rajono socialinių paslaugų centras"


def migrated(url: str):
    engine = open_database(url)
    migrate(engine)
    return engine


# --- The stores on PostgreSQL ---------------------------------------------------------------------

def test_a_conversation_kept_by_one_replica_continues_on_another_within_its_bounds(database_url):
    first, second = (ConversationStore(migrated(database_url), 24, max_conversations=3, max_turns=2)
                     for _ in range(2))
    conversation = first.append(None, Turn("Kada vyksta pasitarimai?", "pasitarimai"), owner="account:1")
    second.append(conversation, Turn("O kas juos veda?", "veda pasitarimai"), owner="account:1")
    assert [t.question for t in first.turns(conversation, "account:1")] == ["Kada vyksta pasitarimai?",
                                                                             "O kas juos veda?"]
    assert second.turns(conversation, "account:2") == []  # another's conversation gives nothing
    assert second.append(conversation, Turn("Kita", "kita"), owner="account:2") != conversation
    first.append(conversation, Turn("Trečias", "trecias"), owner="account:1")
    assert [t.question for t in second.turns(conversation, "account:1")] == ["O kas juos veda?", "Trečias"]
    assert second.latest_position(conversation) == 2
    assert first.turn_at(conversation, 2, "account:1").question == "Trečias"
    for number in range(4):  # one-off questions go first when the store is full
        first.append(None, Turn(f"Vienkartinis {number}", "x"), owner="account:3")
    assert first.count() == 3 and second.turns(conversation, "account:1")
    expired = ConversationStore(second.engine, ttl_hours=0.0, max_conversations=3, max_turns=2)
    assert expired.turns(conversation, "account:1") == []


def test_feedback_on_postgresql_keeps_its_retention(database_url):
    store = FeedbackStore(migrated(database_url), ttl_hours=2.0 / 3600, max_rows=2)
    store.add_unanswered(ORGANIZATION, "pirmas", REFUSED, None)
    store.add_vote(ORGANIZATION, False, [{"document_id": "d", "char_start": 0, "char_end": 5, "score": 1}])
    assert [q.question for q in store.unanswered(ORGANIZATION)] == ["pirmas"] and store.unanswered("Kitas") == []
    assert store.votes()[0].quotes == [{"document_id": "d", "char_start": 0, "char_end": 5}]
    time.sleep(2.1)  # past the two-second retention; the checks above fit inside it on a busy machine
    assert store.unanswered() == [] and store.votes() == []
    for text in ("a", "b", "c"):
        store.add_unanswered(None, text, REFUSED, None)
    assert [q.question for q in store.unanswered()] == ["c", "b"]


def test_a_store_that_cannot_reach_the_database_costs_the_follow_up_not_the_answer(postgres, caplog):
    unreachable = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none?connect_timeout=2"
    conversations = ConversationStore(open_database(unreachable), 24, 10, 10)
    with caplog.at_level(logging.WARNING):
        assert conversations.turns("abc", "") == []
        assert len(conversations.append(None, Turn("Jonaitienės skundas", "skundas"))) == 32
        FeedbackStore(open_database(unreachable), 24, 10).add_unanswered(None, "Jonaitienės skundas", REFUSED, None)
    assert "Jonait" not in caplog.text and "unwritable" in caplog.text


# --- Index generations in PostgreSQL --------------------------------------------------------------

def small_generation(index_dir: Path, texts: list[str]) -> Path:
    """A real (if tiny) generation folder, written by the index store itself."""
    documents = [Document(f"d{i}", f"Dokumentas {i}", ORGANIZATION, text, f"/srv/d{i}.txt", content_hash=str(i))
                 for i, text in enumerate(texts)]
    chunks = [Chunk(i, d.document_id, 0, len(d.text), "") for i, d in enumerate(documents)]
    vectors = np.eye(len(texts), 8, dtype=np.float32)
    lexical = bm25s.BM25()
    lexical.index([text.lower().split() for text in texts], show_progress=False)
    spans = np.array([[i, 0, len(t), 0] for i, t in enumerate(texts)], dtype=np.int64)
    return write_generation(index_dir, {"model": "m", "dimension": 8, "documents": {}}, documents, chunks, vectors,
                            lexical, vectors, spans)


def blob_count(shared: SharedIndex) -> int:
    with shared.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(index_blobs)).scalar_one()


def test_a_published_generation_is_announced_and_rebuilt_from_the_database_alone(database_url, tmp_path):
    shared = SharedIndex(migrated(database_url))
    listener = psycopg.connect(libpq_url(database_url), autocommit=True)
    listener.execute(f"LISTEN {CHANNEL}")
    first = small_generation(tmp_path / "a", ["Pasitarimai vyksta antradieniais.", "Skundai nagrinėjami greitai."])
    shared.publish(first)
    assert [n.payload for n in listener.notifies(timeout=5, stop_after=1)] == [first.name]
    blobs = blob_count(shared)

    replica = tmp_path / "b"
    assert shared.materialise(replica, 5).name == first.name
    copy, original = load_index(replica), load_index(tmp_path / "a")
    assert copy.documents == original.documents and copy.chunks == original.chunks
    assert np.array_equal(copy.embeddings, original.embeddings) and copy.lexical.scores is not None
    assert shared.materialise(replica, 5) == current_generation(replica)  # already current: nothing written

    # A second generation shares most files' parts with the first: only the changed ones are stored.
    time.sleep(0.01)
    second = small_generation(tmp_path / "a", ["Pasitarimai vyksta antradieniais.", "Skundai nagrinėjami per 10 d."])
    shared.publish(second)
    assert 0 < blob_count(shared) - blobs < 9
    assert shared.materialise(replica, 5).name == second.name
    assert load_index(replica).documents["d1"].text == "Skundai nagrinėjami per 10 d."
    for texts in (["Trečia."], ["Ketvirta."]):
        time.sleep(0.01)
        shared.publish(small_generation(tmp_path / "a", texts))
    assert len(shared.names()) == 2  # old generations are pruned, and with them their unshared parts
    shared.materialise(replica, 5)
    assert [d.text for d in load_index(replica).documents.values()] == ["Ketvirta."]
    assert len(list((replica / "generations").iterdir())) == 2
    listener.close()


def test_upload_folders_are_restored_from_the_database(database_url, tmp_path):
    shared = SharedIndex(migrated(database_url))
    folder = tmp_path / "uploads" / "kaunas"
    folder.mkdir(parents=True)
    (folder / "tvarka.txt").write_text("Pasitarimai vyksta antradieniais.", encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps({"documents": [{"path": "tvarka.txt", "id": "k-tvarka"}]}))
    shared.publish(None, {"kaunas": folder})
    other = tmp_path / "other" / "kaunas"
    shared.restore_folder("kaunas", other)
    assert (other / "tvarka.txt").read_text(encoding="utf-8") == "Pasitarimai vyksta antradieniais."
    assert json.loads(shared.read_file("kaunas", "manifest.json"))["documents"][0]["id"] == "k-tvarka"
    (other / "stray.txt").write_text("not in the database")
    shared.restore_folder("kaunas", other)
    assert sorted(p.name for p in other.iterdir()) == ["manifest.json", "tvarka.txt"]
    untouched = tmp_path / "other" / "never-published"
    untouched.mkdir()
    (untouched / "local.txt").write_text("kept")
    shared.restore_folder("never-published", untouched)
    assert (untouched / "local.txt").exists()
    with shared.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(upload_files)).scalar_one() == 2


def test_one_ingest_at_a_time_across_replicas(database_url):
    first, second = SharedIndex(migrated(database_url)), SharedIndex(open_database(database_url))
    told = []
    with first.lock(1, told.append):
        with pytest.raises(IndexWriteError, match="Another ingest"):
            with second.lock(0.5, told.append):
                pass
    assert told and "waiting" in told[0]
    with second.lock(0.5, told.append):  # free again once the first has finished
        pass


def test_a_replica_that_cannot_reach_the_database_keeps_its_generation_and_says_so(tmp_path, caplog):
    index = tmp_path / "index"
    served = small_generation(index, ["Pasitarimai vyksta antradieniais."])
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none?connect_timeout=2"
    follower = IndexFollower(SharedIndex(open_database(url)), url, index, 1, lambda: None)
    with caplog.at_level(logging.WARNING):
        assert follower.catch_up() is False
    assert current_generation(index) == served
    assert f"serving index generation {served.name}" in caplog.text


# --- Two real replicas ----------------------------------------------------------------------------

PASSWORD = "labai-slaptas-slaptazodis"
COORDINATOR_NAME = "koordinatore"
CORPUS = {
    "kokybes-grupe.txt": "Centro kokybės grupė\n\nCentro kokybės grupė renkasi kas ketvirtį ir aptaria paslaugų "
                         "gavėjų pasiūlymus.\n",
    "skundu-tvarka.txt": "Skundų nagrinėjimo tvarka\n\nPaslaugų gavėjų skundai nagrinėjami per dešimt darbo dienų "
                         "nuo jų gavimo.\n",
}
MEETINGS_FILE = "pasitarimu-tvarka.txt"
MEETINGS_ID = "kauno-rajono-socialiniu-paslaugu-centras-pasitarimu-tvarka"
MEETINGS = ("Darbuotojų pasitarimų tvarka\n\nDarbuotojų pasitarimai vyksta kiekvieną antradienį devintą valandą ryto "
            "centro salėje.\n\nPasitarimą veda direktorius, o jo protokolą per tris darbo dienas parengia "
            "sekretorius.\n")
VOLUNTEERS_FILE = "savanoriu-tvarka.txt"
VOLUNTEERS_ID = "kauno-rajono-socialiniu-paslaugu-centras-savanoriu-tvarka"
VOLUNTEERS = ("Savanorių tvarka\n\nSavanoriai į centro veiklą priimami po pokalbio su savanorių koordinatoriumi "
              "ir pasirašo savanoriškos veiklos sutartį.\n")
QUESTION = "Kada vyksta darbuotojų pasitarimai?"
FOLLOW_UP = "O kas juos veda?"
ASKED = (QUESTION, FOLLOW_UP)
# Reading, embedding and loading one small file on a busy two-core machine.
INGEST_SECONDS = 240


class Replica:
    """``python -m service`` in a folder of its own (its index and upload folders), as on a machine
    of its own. Every replica's upload folder has the same path, ``uploads`` in its working folder."""

    def __init__(self, folder: Path, url: str):
        self.folder = folder
        self.url = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> "Replica":
        self.folder.mkdir(parents=True, exist_ok=True)
        environment = {**os.environ, "EQUASS_DATABASE_URL": self.url, "EQUASS_ACCOUNTS": "true",
                       "EQUASS_SECURE_COOKIES": "false", "EQUASS_UPLOAD_DIR": "uploads",
                       "EQUASS_SIGN_IN_LIMIT": "1000/minute", "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
                       "PYTHONPATH": str(PROJECT_ROOT)}
        log = open(self.folder / "service.log", "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "service", "--index", str(self.folder / "index"),
                                         "--port", str(self.port)], cwd=self.folder, env=environment,
                                        stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the replica stopped:\n{self.log()}"
            try:
                if httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"the replica did not become ready:\n{self.log()}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        path = self.folder / "service.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def client(self, signed_in: httpx.Client | None = None) -> httpx.Client:
        """A client of this replica; with the session (cookie and CSRF token) of another replica's client."""
        if signed_in is None:
            return httpx.Client(base_url=self.base, timeout=120)
        return httpx.Client(base_url=self.base, cookies=signed_in.cookies, headers=signed_in.headers, timeout=120)


def sign_in(client: httpx.Client) -> None:
    token = re.search(r'name="sign-in-token" content="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/api/session", json={"username": COORDINATOR_NAME, "password": PASSWORD},
                           headers={"X-CSRF-Token": token})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]


def upload(client: httpx.Client, name: str, text: str) -> dict:
    response = client.post("/api/uploads", files=[("files", (name, text.encode("utf-8"), "text/plain"))],
                           data={"visibility": "internal"})
    assert response.status_code == 202, response.text
    job = response.json()
    deadline = time.monotonic() + INGEST_SECONDS
    while job["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"the upload did not finish: {job}"
        time.sleep(0.5)
        job = client.get(f"/api/uploads/jobs/{job['id']}").json()
    assert job["state"] == "done", job
    return job


def document_ids(client: httpx.Client) -> set[str]:
    return {d["document_id"] for d in client.get("/api/documents").json()["documents"]}


def wait_for_document(client: httpx.Client, document_id: str, present: bool = True) -> None:
    """The other replica picks the new generation up while it keeps answering, as in real use."""
    deadline = time.monotonic() + 120
    while (document_id in document_ids(client)) != present:
        assert time.monotonic() < deadline, f"{document_id} {'never appeared' if present else 'never left'}"
        time.sleep(0.3)


def ask(client: httpx.Client, question: str, conversation_id: str | None = None) -> dict:
    response = client.post("/api/ask", json={"question": question, "conversation_id": conversation_id})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def replicated(postgres, tmp_path_factory):
    """A database with a coordinator and a small corpus ingested through the command line (published
    to the database); two replicas that take it from there, each with empty folders of its own."""
    root = tmp_path_factory.mktemp("replicas")
    url = postgres.new_database()
    store = AccountStore(migrated(url), 12)
    store.add_account(COORDINATOR_NAME, PASSWORD, COORDINATOR, ORGANIZATION, create_organization=True)
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    ingested = subprocess.run([sys.executable, "-m", "ingest", str(corpus), "--index", str(root / "cli-index"),
                               "--organization", ORGANIZATION, "--quiet"],
                              env={**os.environ, "EQUASS_DATABASE_URL": url, "OMP_NUM_THREADS": "1"},
                              capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert ingested.returncode == 0, ingested.stderr
    replicas = {name: Replica(root / name, url) for name in ("a", "b")}
    for replica in replicas.values():
        replica.start()
    yield root, url, replicas
    for replica in replicas.values():
        replica.stop()


def stored_turns(url: str, conversation_id: str) -> list[dict]:
    """The turns of a conversation as the database keeps them, oldest first."""
    with open_database(url).connect() as connection:
        rows = connection.execute(select(turns.c.data).where(turns.c.conversation_id == conversation_id)
                                  .order_by(turns.c.position)).scalars().all()
    return [json.loads(data) for data in rows]


def first_shown(answer: dict) -> dict:
    """The first quote of an answer, or of a refusal the first passage it points at."""
    shown = answer["quotes"] or answer["nearest"]
    assert shown, answer["answer"]
    return shown[0]


def test_two_replicas_serve_one_index_and_continue_each_others_conversations(replicated):
    root, url, replicas = replicated
    a, b = replicas["a"], replicas["b"]
    with a.client() as on_a:
        sign_in(on_a)
        on_b = b.client(on_a)  # sessions are in the database: one sign-in serves every replica
        assert document_ids(on_a) == document_ids(on_b) == {"kokybes-grupe", "skundu-tvarka"}

        # Uploaded through A, answered by B without a restart.
        job = upload(on_a, MEETINGS_FILE, MEETINGS)
        assert job["files"][0]["result"] == "added"
        wait_for_document(on_b, MEETINGS_ID)
        hits = on_b.get("/api/search", params={"q": QUESTION, "k": 3}).json()["hits"]
        assert hits[0]["document_id"] == MEETINGS_ID

        # A conversation begun on A continues on B: the follow-up resolves against the first question.
        first = ask(on_a, QUESTION)
        assert first["quotes"][0]["document_id"] == MEETINGS_ID
        follow_up = ask(on_b, FOLLOW_UP, first["conversation_id"])
        assert follow_up["conversation_id"] == first["conversation_id"]
        # B read it together with the question asked on A: the turn it kept carries A's question and
        # A's document. Answered, or refused with the right passage first among the places to read.
        kept = stored_turns(url, first["conversation_id"])
        assert [t["question"] for t in kept] == [QUESTION, FOLLOW_UP]
        assert QUESTION in kept[1]["query"] and kept[1]["document_ids"] == [MEETINGS_ID]
        assert first_shown(follow_up)["document_id"] == MEETINGS_ID
        assert "veda direktorius" in first_shown(follow_up)["text"]
        # The same words outside the conversation are read alone: nothing of A's question is carried.
        alone = ask(on_b, FOLLOW_UP)
        assert alone["conversation_id"] != first["conversation_id"]
        assert [t["query"] for t in stored_turns(url, alone["conversation_id"])] == [FOLLOW_UP]

        # An upload through B, whose upload folder never held A's file, keeps A's document.
        assert not (b.folder / "uploads" / "kauno-rajono-socialiniu-paslaugu-centras" / MEETINGS_FILE).exists()
        upload(on_b, VOLUNTEERS_FILE, VOLUNTEERS)
        wait_for_document(on_a, VOLUNTEERS_ID)
        assert {MEETINGS_ID, VOLUNTEERS_ID} <= document_ids(on_a) and {MEETINGS_ID, VOLUNTEERS_ID} <= document_ids(on_b)
        uploaded = {d["document_id"] for d in on_a.get("/api/uploads").json()["documents"] if d["uploaded"]}
        assert uploaded == {MEETINGS_ID, VOLUNTEERS_ID}  # A lists B's upload as withdrawable here too

        # Killing A loses nothing: B serves every document and the conversation.
        a.kill()
        assert {MEETINGS_ID, VOLUNTEERS_ID} <= document_ids(on_b)
        again = ask(on_b, FOLLOW_UP, first["conversation_id"])
        assert first_shown(again)["document_id"] == MEETINGS_ID
        assert QUESTION in stored_turns(url, first["conversation_id"])[-1]["query"]

        # A restarted A with an empty index folder (a new machine) takes the current generation from
        # the database and carries on with the conversation.
        replicas["a"] = restarted = Replica(root / "a-restarted", url)
        restarted.start()
        on_restarted = restarted.client(on_a)
        assert on_restarted.get("/readyz").json()["generation"] == on_b.get("/readyz").json()["generation"]
        resumed = ask(on_restarted, FOLLOW_UP, first["conversation_id"])
        assert resumed["conversation_id"] == first["conversation_id"]
        assert first_shown(resumed)["document_id"] == MEETINGS_ID
        assert QUESTION in stored_turns(url, first["conversation_id"])[-1]["query"]
        on_restarted.close()
        on_b.close()

    for replica in (a, b, restarted):
        log = replica.log()
        assert "taken from the database" in log or replica is a
        assert not any(question in log for question in ASKED)


def test_a_replica_keeps_serving_while_postgresql_is_down_and_follows_again_after(replicated, postgres):
    _, _, replicas = replicated
    b = replicas["b"]
    with b.client() as on_b:
        sign_in(on_b)
        generation = on_b.get("/readyz").json()["generation"]
        postgres.stop()
        try:
            # The index stays loaded; what needs the database (the session) says so with a 503.
            assert on_b.get("/readyz").json()["generation"] == generation
            refused = on_b.post("/api/ask", json={"question": QUESTION})
            assert refused.status_code == 503 and refused.headers["Retry-After"]
            deadline = time.monotonic() + 30
            while "The database cannot be reached" not in b.log():
                assert time.monotonic() < deadline, b.log()
                time.sleep(0.3)
            assert f"serving index generation {generation}" in b.log()
        finally:
            postgres.start()
        deadline = time.monotonic() + 60
        while "reachable again" not in b.log():
            assert time.monotonic() < deadline, b.log()
            time.sleep(0.3)
        assert ask(on_b, QUESTION)["quotes"][0]["document_id"] == MEETINGS_ID
    assert QUESTION not in b.log()
