"""The web pages (chat, document view, principles, onboarding) and the embeddable widget script.

Pages are small HTML shells: everything they show is fetched from the JSON API by the scripts
in service/static and put into the page as text, never as HTML. A strict Content-Security-Policy
(scripts only from this server, no inline code) keeps a hostile document from running anything
even if a rendering bug slipped through.
"""

from html import escape
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

STATIC_DIR = Path(__file__).resolve().parent / "static"

router = APIRouter(tags=["pages"], include_in_schema=False)

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
))

PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

NAV = (("chat", "/", "nav.chat", "Pokalbis"),
       ("principles", "/principles", "nav.principles", "Principai"),
       ("onboarding", "/onboarding", "nav.onboarding", "Naujam darbuotojui"))


def page(name: str, title: str, main: str) -> HTMLResponse:
    """An HTML shell: header with navigation and language switch, ``main``, and the page's script."""
    current = ' aria-current="page"'
    links = "".join(
        f'<a href="{href}" data-i18n="{key}"{current if page_name == name else ""}>{label}</a>'
        for page_name, href, key, label in NAV
    )
    html = f"""<!doctype html>
<html lang="lt">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="/static/site.css">
<link rel="icon" href="/static/icon.svg" type="image/svg+xml">
<script src="/static/common.js" defer></script>
<script src="/static/{name}.js" defer></script>
</head>
<body class="page-{name}">
<a class="skip-link" href="#main" data-i18n="skip">Pereiti prie turinio</a>
<header class="site-header">
  <a class="brand" href="/"><img src="/static/icon.svg" alt="" width="28" height="28"><span data-i18n="brand">EQUASS asistentas</span></a>
  <nav class="site-nav" aria-label="Pagrindinis meniu" data-i18n-aria-label="nav.label">{links}</nav>
  <button type="button" class="lang-toggle" id="lang-toggle" aria-label="Switch to English">EN</button>
</header>
<main id="main" tabindex="-1">
{main}
</main>
<noscript><p class="notice error">Šiam puslapiui reikia JavaScript. / This page needs JavaScript.</p></noscript>
</body>
</html>
"""
    return HTMLResponse(html, headers=PAGE_HEADERS)


def organization_picker(label_key: str, label: str) -> str:
    return f"""<div class="org-picker">
  <label for="organization" data-i18n="{label_key}">{label}</label>
  <select id="organization"><option value="" data-i18n="org.all">Visos organizacijos</option></select>
</div>"""


@router.get("/", response_class=HTMLResponse)
def chat_page() -> HTMLResponse:
    return page("chat", "EQUASS asistentas", f"""<section class="chat" aria-labelledby="chat-title">
  <div class="chat-toolbar">
    <h1 id="chat-title" class="visually-hidden" data-i18n="chat.title">Pokalbis su asistentu</h1>
    {organization_picker("org.label", "Organizacija")}
    <button type="button" id="new-conversation" class="secondary" data-i18n="chat.new">Naujas pokalbis</button>
  </div>
  <div id="welcome" class="welcome">
    <h2 data-i18n="chat.welcome">Klauskite apie EQUASS, savo organizacijos politikas ir įstatymus</h2>
    <p data-i18n="chat.intro">Atsakymai sudaryti tik iš tikslių citatų su nuorodomis į šaltinį.</p>
    <h3 id="examples-title" data-i18n="chat.examples">Pavyzdiniai klausimai</h3>
    <ul id="examples" class="examples" aria-labelledby="examples-title"></ul>
  </div>
  <ol id="messages" class="messages" aria-live="polite" aria-busy="false" aria-label="Pokalbio žinutės"
      data-i18n-aria-label="chat.messages"></ol>
  <p id="status" class="status" role="status" hidden><span class="spinner" aria-hidden="true"></span><span data-i18n="busy">Ieškau atsakymo…</span></p>
  <form id="ask-form" class="composer" autocomplete="off">
    <label for="question" class="visually-hidden" data-i18n="chat.label">Jūsų klausimas</label>
    <textarea id="question" name="question" rows="2" maxlength="2000" required
      placeholder="Įrašykite klausimą…" data-i18n-placeholder="chat.placeholder"
      aria-describedby="composer-hint"></textarea>
    <button type="submit" id="send" data-i18n="send">Siųsti</button>
    <p id="composer-hint" class="hint" data-i18n="chat.hint">Enter – siųsti, Shift+Enter – nauja eilutė</p>
  </form>
</section>""")


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(document_id: str) -> HTMLResponse:
    return page("document", "Dokumentas – EQUASS asistentas", """<article class="document" aria-busy="true">
  <p class="back"><a href="/" data-i18n="doc.back">← Atgal į pokalbį</a></p>
  <h1 id="doc-title" data-i18n="doc.loading">Įkeliama…</h1>
  <dl id="doc-meta" class="doc-meta"></dl>
  <p id="doc-jump" class="doc-jump" hidden><button type="button" class="secondary" data-i18n="doc.jump">Rodyti pažymėtą citatą</button></p>
  <details id="doc-toc" class="doc-toc" hidden><summary data-i18n="doc.toc">Turinys</summary><ol></ol></details>
  <div id="doc-text" class="doc-text"></div>
</article>""")


@router.get("/principles", response_class=HTMLResponse)
def principles_page() -> HTMLResponse:
    return page("principles", "Principų aprėptis – EQUASS asistentas", f"""<section class="coverage">
  <h1 data-i18n="cov.title">Kuri politika apima kurį EQUASS principą</h1>
  <p data-i18n="cov.intro">Lentelė rodo, kiek stipriai kiekvienas dokumentas apima kiekvieną principą. Spragos – principai, kurių organizacijos dokumentai neapima arba apima silpnai.</p>
  {organization_picker("org.label", "Organizacija")}
  <div id="coverage-status" class="status" role="status"><span class="spinner" aria-hidden="true"></span><span data-i18n="loading">Įkeliama…</span></div>
  <h2 data-i18n="cov.gaps">Spragos</h2>
  <div id="gaps" class="gaps"></div>
  <h2 data-i18n="cov.matrix">Aprėpties lentelė</h2>
  <p class="legend"><span class="cell-none" data-i18n="cov.levelNone">nėra</span> <span class="cell-weak" data-i18n="cov.partial">dalinis</span> <span class="cell-strong" data-i18n="cov.levelStrong">stiprus</span> <span data-i18n="cov.cellHelp">Paspauskite langelį, kad pamatytumėte citatą, kuria jis grindžiamas.</span></p>
  <p class="downloads"><span data-i18n="cov.download">Atsisiųsti lentelę:</span> <a id="download-csv" href="/api/coverage.csv" download data-i18n="cov.csv">CSV (Excel)</a> <a id="download-xlsx" href="/api/coverage.xlsx" download data-i18n="cov.xlsx">Excel darbaknygė (.xlsx)</a></p>
  <p id="scroll-hint" class="hint scroll-hint" hidden data-i18n="cov.scrollHint">Lentelė platesnė už ekraną – slinkite ją į šoną.</p>
  <div class="table-scroll" tabindex="0" role="region" aria-labelledby="heatmap-caption"><table id="heatmap" class="heatmap"><caption id="heatmap-caption" data-i18n="cov.caption">Dokumentai ir principai</caption></table></div>
  <section id="cell-detail" class="cell-detail" aria-live="polite" hidden></section>
  <section id="principle-detail" class="principle-detail" aria-live="polite" hidden></section>
  <h2 id="unanswered-title" data-i18n="un.title">Neatsakyti klausimai</h2>
  <p data-i18n="un.intro">Klausimai, į kuriuos asistentas neatsakė arba kurių atsakymą darbuotojai pažymėjo kaip nenaudingą, sugrupuoti pagal labiausiai panašų principą.</p>
  <p class="downloads"><a id="unanswered-csv" href="/api/unanswered.csv" download data-i18n="un.csv">Atsisiųsti CSV</a></p>
  <div id="unanswered" class="unanswered" aria-labelledby="unanswered-title"></div>
</section>""")


@router.get("/onboarding", response_class=HTMLResponse)
def onboarding_page() -> HTMLResponse:
    return page("onboarding", "Naujam darbuotojui – EQUASS asistentas", f"""<section class="onboarding">
  <h1 data-i18n="onb.title">Dešimt žingsnių naujam darbuotojui</h1>
  <p data-i18n="onb.intro">Kiekvienas žingsnis – vienas EQUASS principas ir jūsų organizacijos dokumentai, kurie jį įgyvendina.</p>
  {organization_picker("org.mine", "Mano organizacija")}
  <p class="progress-line"><label for="onb-progress" data-i18n="onb.progress">Pažanga</label>
    <progress id="onb-progress" max="10" value="0"></progress> <span id="onb-progress-text" aria-live="polite"></span></p>
  <div id="onb-status" class="status" role="status"><span class="spinner" aria-hidden="true"></span><span data-i18n="loading">Įkeliama…</span></div>
  <ol id="steps" class="steps"></ol>
</section>""")


@router.get("/widget.js")
def widget_script() -> FileResponse:
    """The embeddable widget; host pages load it from another origin, so it may be fetched cross-origin."""
    return FileResponse(STATIC_DIR / "widget.js", media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300",
                                 "Cross-Origin-Resource-Policy": "cross-origin",
                                 "X-Content-Type-Options": "nosniff"})
