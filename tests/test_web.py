"""The web front end in a real browser: chat, document view, widget, and what must never run.

Drives Debian's Chromium through Playwright against the real app (real model, real index).
"""

import re
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.web_fixtures import INJECTION_ORGANIZATION, WIDGET_ORGANIZATION

expect = pytest.importorskip("playwright.sync_api").expect
# An answer embeds the question and candidate sentences on the CPU: allow slow machines time.
expect.set_options(timeout=20_000)

QUALITY_QUESTION = "Kaip dažnai vertinama Kauno rajono socialinių paslaugų centro veiklos kokybė?"
OUT_OF_SCOPE_QUESTION = "Koks rytoj bus oras Vilniuje?"
UNREACHABLE_LT = "Paslauga nepasiekiama. Bandykite vėliau."


def ask(page, question: str):
    """Type a question in the chat, send it with Enter, and return the exchange once answered."""
    exchanges = page.locator("#messages > li.exchange")
    exchange = exchanges.nth(exchanges.count())
    box = page.get_by_label("Jūsų klausimas")
    box.fill(question)
    box.press("Enter")
    expect(exchange.locator(".question")).to_contain_text(question)
    expect(exchange.locator(".answer")).to_be_visible()
    expect(page.locator("#messages")).to_have_attribute("aria-busy", "false")
    return exchange


def quote_from(page, exchange, document_id: str):
    """The first quote of an answer whose source line links to ``document_id``."""
    source = page.locator(f"figcaption a[href^='/documents/{document_id}?']")
    return exchange.locator("figure.quote", has=source).first


def span_of(href: str) -> tuple[int, int]:
    query = parse_qs(urlparse(href).query)
    return int(query["start"][0]), int(query["end"][0])


def test_chat_answers_with_a_quote_linked_to_its_source(live_server, page, screenshots):
    page.goto(live_server.url + "/")
    expect(page.get_by_role("button", name="Kas yra EQUASS?")).to_be_visible()

    box = page.get_by_label("Jūsų klausimas")
    box.fill("Kaip")
    box.press("Shift+Enter")
    expect(box).to_have_value("Kaip\n")
    expect(page.locator("#messages > li")).to_have_count(0)

    exchange = ask(page, QUALITY_QUESTION)
    figure = quote_from(page, exchange, "kaunas-kokybes-politika")
    link = figure.locator("figcaption a")
    expect(link).to_have_text("Kauno rajono socialinių paslaugų centro kokybės politika")
    quoted = figure.locator("blockquote").inner_text()
    start, end = span_of(link.get_attribute("href"))
    document = httpx.get(f"{live_server.url}/api/documents/kaunas-kokybes-politika").json()
    assert quoted.strip() == document["text"][start:end].strip()
    assert "kokyb" in quoted.lower()
    expect(figure.locator("figcaption")).to_contain_text("Kauno rajono socialinių paslaugų centras")
    expect(page.locator("#welcome")).to_be_hidden()
    expect(page.get_by_role("button", name="Siųsti")).to_be_enabled()
    page.screenshot(path=str(screenshots / "chat-answer.png"), full_page=True)
    assert not page.errors


def test_source_link_opens_the_document_with_the_quote_marked(live_server, page):
    page.goto(live_server.url + "/")
    figure = quote_from(page, ask(page, QUALITY_QUESTION), "kaunas-kokybes-politika")
    quoted = figure.locator("blockquote").inner_text()
    figure.locator("figcaption a").click()

    page.wait_for_url(re.compile(r"/documents/kaunas-kokybes-politika\?start=\d+&end=\d+"))
    expect(page.locator("h1")).to_have_text("Kauno rajono socialinių paslaugų centro kokybės politika")
    mark = page.locator("#doc-text mark")
    expect(mark).to_have_count(1)
    expect(mark).to_have_text(quoted.strip())
    expect(mark).to_be_in_viewport()
    # Before, mark, after: the text is never parsed as HTML.
    kinds = page.eval_on_selector("#doc-text", "box => Array.from(box.childNodes, n => n.nodeName)")
    assert kinds == ["#text", "MARK", "#text"]
    assert page.locator("#doc-text").evaluate("box => getComputedStyle(box).whiteSpace") == "pre-wrap"

    page.go_back()
    expect(page.locator("#messages .question")).to_contain_text([QUALITY_QUESTION])
    expect(page.locator("#messages blockquote").first).to_be_visible()
    page.get_by_role("button", name="Naujas pokalbis").click()
    expect(page.locator("#messages > li")).to_have_count(0)
    expect(page.locator("#welcome")).to_be_visible()
    assert not page.errors


def test_widget_on_another_site_opens_answers_and_closes_with_escape(live_server, host_site, page, screenshots):
    # The host page's CSS tries to hide buttons and quotes and to restyle everything.
    (host_site.folder / "partner.html").write_text(f"""<!doctype html>
<html lang="lt"><head><meta charset="utf-8"><title>Partnerio svetainė</title><link rel="icon" href="data:,">
<style>button, blockquote {{ display: none !important; }} * {{ color: #c00 !important; font-family: serif !important; }}</style>
</head><body><h1>Partnerio svetainė</h1>
<script src="{live_server.url}/widget.js" data-organization="{WIDGET_ORGANIZATION}"></script>
</body></html>""", encoding="utf-8")
    page.goto(host_site.url + "/partner.html")

    launcher = page.get_by_role("button", name="Klauskite EQUASS asistento")
    expect(launcher).to_be_visible()
    launcher.click()
    panel = page.get_by_role("dialog", name="EQUASS asistentas")
    expect(panel).to_be_visible()
    box = panel.get_by_label("Jūsų klausimas")
    expect(box).to_be_focused()
    box.fill(QUALITY_QUESTION)
    box.press("Enter")

    quote = panel.locator("figure.quote").first
    expect(quote.locator("blockquote")).to_be_visible()
    href = quote.locator("figcaption a").get_attribute("href")
    assert href.startswith(f"{live_server.url}/documents/kaunas-kokybes-politika?start=")
    text_colour = quote.locator("blockquote").evaluate("node => getComputedStyle(node).color")
    assert text_colour != "rgb(204, 0, 0)"
    page.screenshot(path=str(screenshots / "widget-open.png"))
    # After a second answer the conversation scrolls, the panel and its header stay put.
    box.fill("Kokia Centro misija?")
    box.press("Enter")
    expect(panel.locator("li.exchange .answer")).to_have_count(2)
    expect(panel.locator("[aria-busy='false']")).to_have_count(1)
    assert panel.evaluate("node => node.scrollTop") == 0
    expect(panel.get_by_role("button", name="Uždaryti")).to_be_in_viewport()

    box.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert not page.errors


def test_document_with_markup_renders_as_inert_text(injection_server, page):
    documents = httpx.get(f"{injection_server.url}/api/documents").json()["documents"]
    assert [d["organization"] for d in documents] == [INJECTION_ORGANIZATION]
    document = httpx.get(f"{injection_server.url}/api/documents/{documents[0]['document_id']}").json()
    start = document["text"].index("<script>")
    end = document["text"].index("</script>") + len("</script>")

    page.goto(f"{injection_server.url}/documents/{document['document_id']}?start={start}&end={end}")
    expect(page.locator("#doc-text mark")).to_have_text("<script>window.__pwned=1</script>")
    expect(page.locator("#doc-text")).to_contain_text('<img src=x onerror="window.__pwned=1">')
    expect(page.locator("h1")).to_have_text('Bandomasis dokumentas <img src=x onerror="window.__pwned=1">')
    assert page.locator("#doc-text img, #doc-text script, h1 img").count() == 0
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert not page.errors


def test_abstention_looks_different_from_an_answer(live_server, page):
    decision = httpx.post(f"{live_server.url}/api/ask", json={"question": OUT_OF_SCOPE_QUESTION}, timeout=30).json()
    assert decision["abstained"], "this question is meant to be one the backend refuses; pick another"

    page.goto(live_server.url + "/")
    answered = ask(page, QUALITY_QUESTION).locator(".answer")
    refused = ask(page, OUT_OF_SCOPE_QUESTION).locator(".answer")
    expect(refused).to_have_class(re.compile(r"\babstained\b"))
    expect(answered).not_to_have_class(re.compile(r"\babstained\b"))
    expect(refused).to_contain_text("Atsakymas nerastas")
    # Any passages it shows are labelled as places to read, not as the answer.
    if decision["nearest"]:
        expect(refused).to_contain_text("tai ne atsakymas")
        expect(refused.locator("blockquote")).to_have_count(len(decision["nearest"]))
    else:
        expect(refused.locator("blockquote")).to_have_count(0)
    expect(refused.locator("a[href^='/documents/']").first).to_be_visible()

    def background(locator):
        return locator.evaluate("node => getComputedStyle(node).backgroundColor")

    assert background(refused) != background(answered)
    assert not page.errors


def test_a_question_the_service_cannot_read_and_one_waiting_for_an_organisation_say_why(live_server, page):
    page.goto(live_server.url + "/")
    # A 422 for the question itself is not the service being down.
    expect(ask(page, "???").get_by_role("alert")).to_contain_text("parašykite klausimą žodžiais")
    waiting = ask(page, "Kokia mūsų centro misija?").locator(".answer")
    expect(waiting).to_have_class(re.compile(r"\babstained\b"))
    expect(waiting).to_contain_text("Pasirinkite savo organizaciją")
    expect(waiting.locator("blockquote").first).to_contain_text("Centro misija")
    # The browser itself reports the 422 response; nothing else may go wrong on the page.
    assert [e for e in page.errors if "status of 422" not in e] == []


def test_busy_state_and_unreachable_service_in_both_languages(live_server, page):
    page.goto(live_server.url + "/")
    held = []
    page.route("**/api/ask", lambda route: held.append(route))
    box = page.get_by_label("Jūsų klausimas")
    box.fill(QUALITY_QUESTION)
    box.press("Enter")

    expect(page.get_by_role("button", name="Siųsti")).to_be_disabled()
    expect(page.get_by_text("Ieškau atsakymo…")).to_be_visible()
    expect(page.locator("#messages")).to_have_attribute("aria-busy", "true")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    held[0].abort("connectionrefused")
    expect(page.get_by_role("alert")).to_have_text(re.compile(re.escape(UNREACHABLE_LT)))
    expect(page.get_by_role("button", name="Siųsti")).to_be_enabled()

    page.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_role("alert")).to_contain_text("The service is unreachable. Please try again later.")
    expect(page.get_by_label("Your question")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_chat_fits_a_phone_screen(live_server, phone_page, screenshots):
    page = phone_page
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Kas yra socialinė globa?").click()
    expect(page.locator("#messages .answer")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(screenshots / "chat-phone.png"))
    page.goto(live_server.url + "/documents/kaunas-kokybes-politika?start=0&end=16")
    expect(page.locator("#doc-text mark")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert not page.errors


def test_principles_and_onboarding_pages(live_server, page):
    page.goto(live_server.url + "/principles")
    heatmap = page.locator("#heatmap")
    expect(heatmap.locator("thead th")).to_have_count(11)
    expect(heatmap.locator("tbody tr").first).to_be_visible()
    heatmap.get_by_role("button", name="Etika", exact=True).click()
    expect(page.locator("#principle-detail h2")).to_contain_text("Etika")

    page.goto(live_server.url + "/onboarding")
    steps = page.locator("#steps > li.step")
    expect(steps).to_have_count(10)
    steps.first.get_by_label("Perskaičiau").check()
    expect(page.locator("#onb-progress-text")).to_have_text("1 iš 10")
    page.reload()
    expect(page.locator("#steps > li.step").first.get_by_label("Perskaičiau")).to_be_checked()
    assert not page.errors


@pytest.mark.parametrize("path", ["/", "/documents/kaunas-kokybes-politika", "/principles", "/onboarding"])
def test_pages_forbid_inline_script(live_server, path):
    response = httpx.get(live_server.url + path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    scripts = re.findall(r"<script\b[^>]*>", response.text)
    assert scripts and all(" src=" in tag for tag in scripts)
    assert not re.search(r"\son\w+=", response.text)
