"""The coordinator page, votes, the widget's own error messages and the offline API docs, in a real
browser (Debian's Chromium through Playwright) against the real app."""

import re
import uuid

import httpx
import pytest

from tests.web_fixtures import WIDGET_ORGANIZATION

expect = pytest.importorskip("playwright.sync_api").expect
expect.set_options(timeout=20_000)

KAUNAS = "Kauno rajono socialinių paslaugų centras"
QUALITY_QUESTION = "Kaip dažnai vertinama Kauno rajono socialinių paslaugų centro veiklos kokybė?"


def ask(page, question: str):
    exchanges = page.locator("#messages > li.exchange")
    exchange = exchanges.nth(exchanges.count())
    box = page.get_by_label("Jūsų klausimas")
    box.fill(question)
    box.press("Enter")
    expect(exchange.locator(".answer")).to_be_visible()
    expect(page.locator("#messages")).to_have_attribute("aria-busy", "false")
    return exchange


def widget_page(host_site, live_server, name: str, organization: str) -> str:
    (host_site.folder / name).write_text(f"""<!doctype html>
<html lang="lt"><head><meta charset="utf-8"><title>Intranetas</title><link rel="icon" href="data:,"></head>
<body><h1>Intranetas</h1>
<script src="{live_server.url}/widget.js" data-organization="{organization}"></script>
</body></html>""", encoding="utf-8")
    return name


def open_widget_and_ask(page, question: str):
    page.get_by_role("button", name="Klauskite EQUASS asistento").click()
    panel = page.get_by_role("dialog", name="EQUASS asistentas")
    box = panel.get_by_label("Jūsų klausimas")
    box.fill(question)
    box.press("Enter")
    return panel


def test_all_ten_principles_are_visible_at_1280_px_and_each_cell_shows_its_quote(live_server, page, screenshots):
    page.goto(live_server.url + "/principles")
    page.get_by_label("Organizacija").select_option(KAUNAS)
    heatmap = page.locator("#heatmap")
    expect(heatmap.locator("tbody tr")).to_have_count(3)
    scroller = page.locator(".table-scroll")
    box = scroller.bounding_box()
    headers = heatmap.locator("thead button")
    expect(headers).to_have_count(10)
    for number in range(10):
        header = headers.nth(number)
        expect(header).to_be_in_viewport()
        edge = header.bounding_box()
        assert box["x"] <= edge["x"] and edge["x"] + edge["width"] <= box["x"] + box["width"]
    assert scroller.evaluate("node => node.scrollWidth <= node.clientWidth")
    expect(page.locator("#scroll-hint")).to_be_hidden()

    row = heatmap.locator("tbody tr", has=page.get_by_role("link", name="Kauno rajono socialinių paslaugų centro kokybės politika"))
    cell = row.locator("td").nth(5)  # participation
    expect(cell).to_have_text(re.compile("dalinis|stiprus"))
    assert re.search(r"\(0,\d\d\)", cell.locator("button").get_attribute("title"))
    cell.locator("button").click()
    detail = page.locator("#cell-detail")
    expect(detail.locator("h2")).to_contain_text("Dalyvavimas")
    expect(detail.locator("blockquote")).to_be_visible()
    expect(detail.locator("figcaption a")).to_have_attribute("href", re.compile(r"^/documents/kaunas-kokybes-politika\?start=\d+"))
    expect(page.get_by_role("link", name="CSV (Excel)")).to_have_attribute("href", re.compile("coverage.csv\\?organization="))
    page.screenshot(path=str(screenshots / "principles-1280.png"), full_page=True)
    assert not page.errors


def test_coverage_table_scrolls_in_its_box_on_a_phone(live_server, phone_page, screenshots):
    page = phone_page
    page.goto(live_server.url + "/principles")
    expect(page.locator("#heatmap tbody tr").first).to_be_visible()
    expect(page.locator("#scroll-hint")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.locator(".table-scroll").evaluate("node => node.scrollWidth > node.clientWidth")
    page.screenshot(path=str(screenshots / "principles-phone.png"))
    assert not page.errors


def test_not_helpful_in_the_chat_stores_a_vote_with_the_answers_quotes(live_server, page):
    before = httpx.get(f"{live_server.url}/api/feedback", params={"organization": KAUNAS}).json()["not_helpful"]
    page.goto(live_server.url + "/")
    page.get_by_label("Organizacija").select_option(KAUNAS)
    exchange = ask(page, QUALITY_QUESTION)
    exchange.get_by_role("button", name="Nenaudinga").click()
    expect(exchange.get_by_text("Ačiū, įvertinimas išsaugotas.")).to_be_visible()
    expect(exchange.get_by_role("button", name="Nenaudinga")).to_have_attribute("aria-pressed", "true")
    votes = httpx.get(f"{live_server.url}/api/feedback", params={"organization": KAUNAS}).json()
    assert votes["not_helpful"] == before + 1
    assert votes["votes"][0]["quotes"][0]["document_id"] == "kaunas-kokybes-politika"
    page.reload()  # the vote is remembered with the conversation
    expect(page.locator("#messages .exchange").last.get_by_text("Ačiū, įvertinimas išsaugotas.")).to_be_visible()
    assert not page.errors


def test_a_refused_question_appears_on_the_coordinator_page_of_its_organisation(live_server, page):
    question = f"Kiek kainuoja automobilio stovėjimas prie centro {uuid.uuid4().hex[:6]}?"
    page.goto(live_server.url + "/")
    page.get_by_label("Organizacija").select_option(KAUNAS)
    refused = ask(page, question).locator(".answer")
    expect(refused).to_have_class(re.compile(r"\babstained\b"))

    page.goto(live_server.url + "/principles")
    expect(page.get_by_label("Organizacija")).to_have_value(KAUNAS)
    listed = page.locator("#unanswered li", has_text=question)
    expect(listed).to_be_visible()
    expect(listed).to_contain_text("atsakymas nerastas")
    expect(page.get_by_role("link", name="Atsisiųsti CSV")).to_have_attribute("href", re.compile("unanswered.csv"))
    page.get_by_label("Organizacija").select_option("Vilniaus miesto socialinės paramos centras")
    expect(page.locator("#unanswered")).not_to_contain_text(question)
    assert not page.errors


def test_widget_tells_the_embedder_about_a_missing_cors_origin(live_server, host_site, page):
    name = widget_page(host_site, live_server, "cors.html", WIDGET_ORGANIZATION)
    # The same page from another origin (localhost instead of 127.0.0.1), which the service does not allow.
    origin = host_site.url.replace("127.0.0.1", "localhost")
    page.goto(f"{origin}/{name}")
    panel = open_widget_and_ask(page, QUALITY_QUESTION)
    alert = panel.get_by_role("alert")
    expect(alert).to_contain_text("EQUASS_CORS_ORIGINS")
    expect(alert).to_contain_text(origin)
    expect(alert).not_to_contain_text("Paslauga nepasiekiama")
    assert any("EQUASS_CORS_ORIGINS" in e and origin in e for e in page.errors), page.errors


def test_widget_shows_the_known_organisations_for_a_misspelt_one(live_server, host_site, page):
    name = widget_page(host_site, live_server, "misspelt.html", "Kauno centras")
    page.goto(f"{host_site.url}/{name}")
    panel = open_widget_and_ask(page, QUALITY_QUESTION)
    alert = panel.get_by_role("alert")
    expect(alert).to_contain_text("Kauno centras")
    expect(alert).to_contain_text(KAUNAS)
    expect(alert).to_contain_text("data-organization")
    assert any("Kauno centras" in e for e in page.errors)


def test_widget_vote_is_stored(live_server, host_site, page):
    before = httpx.get(f"{live_server.url}/api/feedback", params={"organization": WIDGET_ORGANIZATION}).json()["helpful"]
    name = widget_page(host_site, live_server, "vote.html", WIDGET_ORGANIZATION)
    page.goto(f"{host_site.url}/{name}")
    panel = open_widget_and_ask(page, QUALITY_QUESTION)
    expect(panel.locator("blockquote").first).to_be_visible()
    panel.get_by_role("button", name="Naudinga", exact=True).click()
    expect(panel.get_by_text("Ačiū, įvertinimas išsaugotas.")).to_be_visible()
    after = httpx.get(f"{live_server.url}/api/feedback", params={"organization": WIDGET_ORGANIZATION}).json()["helpful"]
    assert after == before + 1
    assert not page.errors


def test_api_docs_render_with_no_internet(live_server, page):
    requested = []

    def only_this_server(route):
        if route.request.url.startswith(("http:", "https:")):
            requested.append(route.request.url)
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", only_this_server)
    page.goto(live_server.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("EQUASS assistant")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui .opblock-summary-path", has_text="/api/ask")).to_be_visible()
    page.goto(live_server.url + "/redoc")
    expect(page.locator("h1", has_text="EQUASS assistant")).to_be_visible()
    expect(page.get_by_text("/api/ask").first).to_be_attached()
    # Everything the pages need came from this server; the one outside request, blocked here, is
    # ReDoc's decorative "powered by" logo, which leaves an empty corner offline and nothing else.
    outside = [url for url in requested if not url.startswith(live_server.url)]
    assert outside in ([], ["https://cdn.redoc.ly/redoc/logo-mini.svg"]), outside


def test_english_interface_refuses_in_english_and_phone_shows_no_keyboard_hint(live_server, phone_page):
    page = phone_page
    page.goto(live_server.url + "/")
    expect(page.locator("#composer-hint")).to_be_hidden()
    expect(page.get_by_role("button", name="Kuri politika apima etikos principą?")).to_be_visible()
    expect(page.get_by_role("button", name="Which policy covers ethics?")).to_have_count(0)
    page.get_by_role("button", name="Switch to English").click()
    box = page.get_by_label("Your question")
    box.fill("Koks rytoj bus oras Vilniuje?")
    box.press("Enter")
    refused = page.locator("#messages .answer.abstained")
    expect(refused).to_contain_text("I did not find an answer in the documents provided.")
    expect(refused).not_to_contain_text("neradau")
    assert not page.errors


def test_onboarding_shows_the_chosen_organisations_documents_first(live_server, page):
    page.goto(live_server.url + "/onboarding")
    first = page.locator("#steps > li.step").first
    expect(first.get_by_text("Pasirinkite savo organizaciją")).to_be_visible()
    expect(page.locator("#steps")).not_to_contain_text("Klaipėdos miesto šeimos ir vaiko gerovės centras")
    page.get_by_label("Mano organizacija").select_option(KAUNAS)
    first = page.locator("#steps > li.step").first
    expect(first.locator("figure.quote").first.locator("figcaption")).to_contain_text(KAUNAS)
    expect(first).not_to_contain_text("asmens duomenų teisinės apsaugos")
    question = first.get_by_role("link", name="Kokia yra Centro misija?")
    expect(question).to_be_visible()
    question.click()
    expect(page.locator("#messages .question")).to_contain_text("Kokia yra Centro misija?")
    expect(page.locator("#messages figure.quote").first.locator("figcaption a")).to_have_attribute(
        "href", re.compile(r"^/documents/kaunas-kokybes-politika\?"))
    assert not page.errors
