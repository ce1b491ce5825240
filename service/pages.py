"""The web pages (chat, document view, principles, onboarding) and the embeddable widget script.

Pages are small HTML shells: everything they show is fetched from the JSON API by the scripts
in service/static and put into the page as text, never as HTML. A strict Content-Security-Policy
(scripts only from this server, no inline code) keeps a hostile document from running anything
even if a rendering bug slipped through.
"""

from html import escape
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from service.access import ACCOUNT, ANONYMOUS, OPEN, SIGN_IN_COOKIE, WIDGET, Caller, current_caller
from service.accounts.store import COORDINATOR, STAFF
from service.session_api import SIGN_IN_TOKEN_SECONDS, set_cookie, sign_in_token

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

# (page, link, translation key, label, the role it needs, whether it needs accounts on)
NAV = (("chat", "/", "nav.chat", "Pokalbis", STAFF, False),
       ("principles", "/principles", "nav.principles", "Principai", COORDINATOR, False),
       ("onboarding", "/onboarding", "nav.onboarding", "Naujam darbuotojui", STAFF, False),
       ("uploads", "/uploads", "nav.uploads", "Dokumentai", COORDINATOR, True))


def page(name: str, title: str, main: str, caller: Caller | None = None, meta: dict[str, str] | None = None) -> HTMLResponse:
    """An HTML shell: header with navigation (the pages the caller may open), the signed-in user
    and the language switch, ``main``, and the page's script. The session's CSRF token is in a
    meta tag for the scripts to send."""
    current = ' aria-current="page"'
    caller = caller or Caller(ANONYMOUS, None)
    links = "".join(
        f'<a href="{href}" data-i18n="{key}"{current if page_name == name else ""}>{label}</a>'
        for page_name, href, key, label, role, accounts_only in NAV
        if caller.kind in (OPEN, ACCOUNT) and caller.has(role) and (caller.kind == ACCOUNT or not accounts_only)
    )
    user = ""
    meta = dict(meta or {})
    if caller.kind == ACCOUNT:
        meta["csrf-token"] = caller.csrf_token
        details = caller.account.organization or ""
        user = (f'<span class="user">{escape(caller.account.username)}'
                f'{" · " + escape(details) if details else ""}</span>'
                '<button type="button" class="secondary sign-out" id="sign-out" data-i18n="signOut">Atsijungti</button>')
    html = f"""<!doctype html>
<html lang="lt">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="/static/site.css">
<link rel="icon" href="/static/icon.svg" type="image/svg+xml">
{"".join(f'<meta name="{escape(k)}" content="{escape(v)}">{chr(10)}' for k, v in meta.items())}<script src="/static/common.js" defer></script>
{f'<script src="/static/{name}.js" defer></script>' if (STATIC_DIR / f"{name}.js").exists() else ""}
</head>
<body class="page-{name}">
<a class="skip-link" href="#main" data-i18n="skip">Pereiti prie turinio</a>
<header class="site-header">
  <a class="brand" href="/"><img src="/static/icon.svg" alt="" width="28" height="28"><span data-i18n="brand">EQUASS asistentas</span></a>
  <nav class="site-nav" aria-label="Pagrindinis meniu" data-i18n-aria-label="nav.label">{links}</nav>
  {user}
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


def visitor(request: Request, minimum: str | None) -> Caller | HTMLResponse:
    """The caller of a page, or what to answer instead: the sign-in page for someone not signed in,
    a refusal for a role that may not open it."""
    caller = current_caller(request)
    if caller.kind in (ANONYMOUS, WIDGET) and minimum is not None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    if minimum is not None and not caller.has(minimum):
        return page("refused", "EQUASS asistentas", """<section class="refused">
  <h1 data-i18n="refused.title">Šis puslapis jums neprieinamas</h1>
  <p data-i18n="refused.text">Jo turinys skirtas kitam vaidmeniui. Jei manote, kad tai klaida, kreipkitės į administratorių.</p>
</section>""", caller)
    return caller


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    if not request.app.state.settings.accounts:
        return RedirectResponse("/", status_code=303)
    token = sign_in_token(request)
    response = page("login", "Prisijungimas – EQUASS asistentas", """<section class="login">
  <h1 data-i18n="login.title">Prisijungimas</h1>
  <form id="login-form" class="login-form" autocomplete="on">
    <label for="username" data-i18n="login.username">Naudotojo vardas</label>
    <input id="username" name="username" autocomplete="username" required maxlength="120">
    <label for="password" data-i18n="login.password">Slaptažodis</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button type="submit" data-i18n="login.submit">Prisijungti</button>
    <p id="login-error" class="notice error" role="alert" hidden></p>
  </form>
</section>""", meta={"sign-in-token": token})
    set_cookie(response, request, SIGN_IN_COOKIE, token, SIGN_IN_TOKEN_SECONDS)
    return response


@router.get("/uploads", response_class=HTMLResponse)
def uploads_page(request: Request) -> HTMLResponse:
    caller = visitor(request, COORDINATOR)
    if not isinstance(caller, Caller):
        return caller
    if caller.kind != ACCOUNT:
        return RedirectResponse("/", status_code=303)
    return page("uploads", "Dokumentai – EQUASS asistentas", """<section class="uploads">
  <h1 data-i18n="up.title">Organizacijos dokumentai</h1>
  <p data-i18n="up.intro">Įkelkite politikas ir tvarkas: asistentas jas perskaitys ir ims cituoti, kai tik jos bus suindeksuotos – nieko perkrauti nereikia.</p>
  <form id="upload-form" class="upload-form">
    <label for="files" data-i18n="up.files">Failai</label>
    <input id="files" name="files" type="file" multiple required>
    <p id="accepts" class="hint"></p>
    <label for="visibility" data-i18n="up.visibility">Kas gali matyti</label>
    <select id="visibility" name="visibility">
      <option value="internal" data-i18n="up.internal">Tik mūsų darbuotojai</option>
      <option value="public" data-i18n="up.public">Viešas (svetainės valdiklis gali cituoti)</option>
    </select>
    <button type="submit" id="upload" data-i18n="up.submit">Įkelti</button>
  </form>
  <section id="job" class="job" aria-live="polite" hidden>
    <h2 data-i18n="up.progress">Eiga</h2>
    <p><progress id="job-progress" max="1" value="0"></progress> <span id="job-stage"></span></p>
    <ul id="job-files" class="job-files"></ul>
    <p id="job-message" class="hint"></p>
  </section>
  <h2 data-i18n="up.documents">Dokumentai</h2>
  <table id="documents" class="documents">
    <thead><tr><th data-i18n="up.document">Dokumentas</th><th data-i18n="up.seenBy">Matomumas</th><th data-i18n="up.indexed">Suindeksuota</th><th></th></tr></thead>
    <tbody></tbody>
  </table>
</section>""", caller)


@router.get("/", response_class=HTMLResponse)
def chat_page(request: Request) -> HTMLResponse:
    caller = visitor(request, STAFF)
    if not isinstance(caller, Caller):
        return caller
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
</section>""", caller)


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(request: Request, document_id: str) -> HTMLResponse:
    """Open to anyone: the document itself comes from the API, which shows public and shared
    documents to anyone with the link and internal ones to their organisation's staff only."""
    return page("document", "Dokumentas – EQUASS asistentas", """<article class="document" aria-busy="true">
  <p class="back"><a href="/" data-i18n="doc.back">← Atgal į pokalbį</a></p>
  <h1 id="doc-title" data-i18n="doc.loading">Įkeliama…</h1>
  <dl id="doc-meta" class="doc-meta"></dl>
  <p id="doc-jump" class="doc-jump" hidden><button type="button" class="secondary" data-i18n="doc.jump">Rodyti pažymėtą citatą</button></p>
  <details id="doc-toc" class="doc-toc" hidden><summary data-i18n="doc.toc">Turinys</summary><ol></ol></details>
  <div id="doc-text" class="doc-text"></div>
</article>""", current_caller(request))


@router.get("/principles", response_class=HTMLResponse)
def principles_page(request: Request) -> HTMLResponse:
    caller = visitor(request, COORDINATOR)
    if not isinstance(caller, Caller):
        return caller
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
</section>""", caller)


@router.get("/onboarding", response_class=HTMLResponse)
def onboarding_page(request: Request) -> HTMLResponse:
    caller = visitor(request, STAFF)
    if not isinstance(caller, Caller):
        return caller
    return page("onboarding", "Naujam darbuotojui – EQUASS asistentas", f"""<section class="onboarding">
  <h1 data-i18n="onb.title">Dešimt žingsnių naujam darbuotojui</h1>
  <p data-i18n="onb.intro">Kiekvienas žingsnis – vienas EQUASS principas ir jūsų organizacijos dokumentai, kurie jį įgyvendina.</p>
  {organization_picker("org.mine", "Mano organizacija")}
  <p class="progress-line"><label for="onb-progress" data-i18n="onb.progress">Pažanga</label>
    <progress id="onb-progress" max="10" value="0"></progress> <span id="onb-progress-text" aria-live="polite"></span></p>
  <div id="onb-status" class="status" role="status"><span class="spinner" aria-hidden="true"></span><span data-i18n="loading">Įkeliama…</span></div>
  <ol id="steps" class="steps"></ol>
</section>""", caller)


@router.get("/widget.js")
def widget_script() -> FileResponse:
    """The embeddable widget; host pages load it from another origin, so it may be fetched cross-origin."""
    return FileResponse(STATIC_DIR / "widget.js", media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300",
                                 "Cross-Origin-Resource-Policy": "cross-origin",
                                 "X-Content-Type-Options": "nosniff"})
