"""The coordinator's upload page in a real browser (Debian's Chromium through Playwright) against
the real app with accounts on: sign in, upload a good file and two refused ones, follow the
background ingest, ask the chat and be answered from the new document without a restart, and
withdraw it again."""

import re
import shutil

import pytest

from service.accounts.database import migrate, open_database
from service.accounts.store import COORDINATOR, AccountStore
from service.app import create_app
from tests.web_fixtures import LiveServer

expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=20_000)

KAUNAS = "Kauno rajono socialinių paslaugų centras"
USERNAME = "koordinatore"
PASSWORD = "labai-slaptas-slaptazodis"
GOOD_FILE = "pasitarimu-tvarka.txt"
GOOD_TEXT = """Kauno rajono socialinių paslaugų centro darbuotojų pasitarimų tvarka

Darbuotojų pasitarimai vyksta kiekvieną antradienį devintą valandą ryto centro salėje.

Pasitarimą veda direktorius, o jo protokolą per tris darbo dienas parengia sekretorius.
"""
QUESTION = "Kada vyksta darbuotojų pasitarimai?"
# The time the whole upload may take on a busy two-core machine: reading, embedding, loading.
INGEST_MS = 300_000


@pytest.fixture(scope="module")
def accounts_server(base_settings, corpus_index, tmp_path_factory):
    """The real app with accounts on over a copy of the default corpus index, and a coordinator."""
    root = tmp_path_factory.mktemp("web-uploads")
    shutil.copytree(corpus_index, root / "index", symlinks=True)
    settings = base_settings.model_copy(update={
        "index_dir": root / "index", "conversation_db": root / "conversations.sqlite3", "accounts": True,
        "upload_dir": root / "uploads"})
    store = AccountStore(open_database(settings.database), settings.session_hours)
    migrate(store.engine)
    store.add_account(USERNAME, PASSWORD, COORDINATOR, KAUNAS, create_organization=True)
    server = LiveServer(create_app(settings)).start()
    yield server
    server.stop()


def sign_in(page, server, target: str) -> None:
    """Open a page that needs an account: the sign-in page comes first and then leads back to it."""
    page.goto(server.url + target)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Naudotojo vardas").fill(USERNAME)
    page.get_by_label("Slaptažodis").fill(PASSWORD)
    page.get_by_role("button", name="Prisijungti").click()
    expect(page).to_have_url(server.url + target)


def test_an_uploaded_file_is_answered_from_without_a_restart_and_refused_files_say_why(accounts_server, page,
                                                                                         screenshots):
    sign_in(page, accounts_server, "/uploads")
    expect(page.locator("#accepts")).to_contain_text(".pdf")
    page.get_by_label("Failai").set_input_files([
        {"name": GOOD_FILE, "mimeType": "text/plain", "buffer": GOOD_TEXT.encode()},
        {"name": "programa.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00" + b"\x00" * 60},
        {"name": "tuscias.txt", "mimeType": "text/plain", "buffer": b""},
    ])
    page.get_by_role("button", name="Įkelti").click()

    results = page.locator("#job-files")
    expect(page.locator("#job-stage")).to_have_text(re.compile("Baigta"), timeout=INGEST_MS)
    expect(results.locator("li.result-added")).to_contain_text(GOOD_FILE)
    exe = results.locator("li.result-refused", has_text="programa.exe")
    expect(exe).to_contain_text("atmestas")
    expect(exe.locator(".reason")).to_contain_text("'.exe' is not accepted")
    expect(results.locator("li.result-refused", has_text="tuscias.txt").locator(".reason")).to_contain_text("empty")
    row = page.locator("#documents tbody tr", has_text="darbuotojų pasitarimų tvarka")
    expect(row).to_be_visible()
    expect(row.locator("time")).not_to_have_text("–")
    page.screenshot(path=str(screenshots / "uploads.png"), full_page=True)

    # The chat of the same running service answers from the new document.
    page.goto(accounts_server.url + "/")
    box = page.get_by_label("Jūsų klausimas")
    box.fill(QUESTION)
    box.press("Enter")
    exchange = page.locator("#messages > li.exchange").first
    expect(exchange.locator(".answer")).to_be_visible()
    source = exchange.locator("figure.quote", has=page.locator("figcaption a", has_text="pasitarimų tvarka")).first
    expect(source.locator("blockquote")).to_contain_text("antradienį")

    # Withdrawn, it leaves the list (the page asks to confirm first).
    page.goto(accounts_server.url + "/uploads")
    page.once("dialog", lambda dialog: dialog.accept())
    row = page.locator("#documents tbody tr", has_text="darbuotojų pasitarimų tvarka")
    row.get_by_role("button").click()
    expect(page.locator("#job-files li.result-withdrawn")).to_be_visible(timeout=INGEST_MS)
    expect(page.locator("#job-stage")).to_have_text(re.compile("Baigta"), timeout=INGEST_MS)
    expect(row).to_have_count(0)
    assert not page.errors
