/* Shared by the pages: translations, the language switch, safe DOM building and API calls.
 * Everything from the server is inserted as text (textContent / text nodes), never as HTML. */
(function () {
  "use strict";

  var MESSAGES = {
    lt: {
      "brand": "EQUASS asistentas",
      "skip": "Pereiti prie turinio",
      "nav.label": "Pagrindinis meniu",
      "nav.chat": "Pokalbis",
      "nav.principles": "Principai",
      "nav.onboarding": "Naujam darbuotojui",
      "lang.switch": "Switch to English",
      "lang.other": "EN",
      "loading": "Įkeliama…",
      "busy": "Ieškau atsakymo…",
      "send": "Siųsti",
      "unreachable": "Paslauga nepasiekiama. Bandykite vėliau.",
      "org.label": "Organizacija",
      "org.mine": "Mano organizacija",
      "org.all": "Visos organizacijos",
      "chat.title": "Pokalbis su asistentu",
      "chat.new": "Naujas pokalbis",
      "chat.welcome": "Klauskite apie EQUASS, savo organizacijos politikas ir įstatymus",
      "chat.intro": "Atsakymai sudaryti tik iš tikslių citatų su nuorodomis į šaltinį.",
      "chat.examples": "Pavyzdiniai klausimai",
      "chat.messages": "Pokalbio žinutės",
      "chat.label": "Jūsų klausimas",
      "chat.placeholder": "Įrašykite klausimą…",
      "chat.hint": "Enter – siųsti, Shift+Enter – nauja eilutė",
      "chat.you": "Jūs",
      "chat.assistant": "Asistentas",
      "chat.notFound": "Atsakymas nerastas",
      "chat.lookAt": "Galite pažiūrėti:",
      "chat.nearest": "Artimiausios vietos dokumentuose – tai ne atsakymas, perskaitykite jas patys:",
      "chat.retry": "Bandyti dar kartą",
      "chat.notFoundText": "Pateiktuose dokumentuose atsakymo neradau.",
      "chat.chooseOrganization": "Klausiate apie savo organizaciją, bet ji nepasirinkta, o radau tik vienos organizacijos dokumentą. Pasirinkite savo organizaciją viršuje ir paklauskite dar kartą.",
      "ask.invalid": "Šio teksto negaliu perskaityti kaip klausimo: parašykite klausimą žodžiais (iki 2000 ženklų).",
      "fb.question": "Ar atsakymas naudingas?",
      "fb.helpful": "Naudinga",
      "fb.unhelpful": "Nenaudinga",
      "fb.thanks": "Ačiū, įvertinimas išsaugotas.",
      "fb.failed": "Įvertinimo išsaugoti nepavyko. Bandykite dar kartą.",
      "org.unknown": "Organizacija „{name}“ nežinoma, todėl jos dokumentų atsakymuose nebūtų. Pasirinkite vieną iš: {list}.",
      "kind.programme": "programos aprašas",
      "cov.partial": "dalinis",
      "cov.levelNone": "nėra",
      "cov.levelStrong": "stiprus",
      "cov.scrollHint": "Lentelė platesnė už ekraną – slinkite ją į šoną.",
      "cov.download": "Atsisiųsti lentelę:",
      "cov.csv": "CSV (Excel)",
      "cov.xlsx": "Excel darbaknygė (.xlsx)",
      "cov.evidence": "Citata, kuria grindžiamas įvertinimas",
      "cov.cellHelp": "Paspauskite langelį, kad pamatytumėte citatą, kuria jis grindžiamas.",
      "cov.notAssessed": "Spragos nevertinamos, nes organizacija neturi savo politikos dokumentų (tik programos aprašus):",
      "un.title": "Neatsakyti klausimai",
      "un.intro": "Klausimai, į kuriuos asistentas neatsakė arba kurių atsakymą darbuotojai pažymėjo kaip nenaudingą, sugrupuoti pagal labiausiai panašų principą. Tai ženklas, kokios politikos gali trūkti. Klausimai saugomi tiek pat, kiek pokalbiai, be jokių duomenų apie klausėją.",
      "un.none": "Neatsakytų klausimų nėra.",
      "un.other": "Kita",
      "un.refused": "atsakymas nerastas",
      "un.unhelpful": "pažymėta kaip nenaudinga",
      "un.csv": "Atsisiųsti CSV",
      "un.times": "kart.",
      "onb.own": "Jūsų organizacijos dokumentai",
      "onb.equass": "Ką sako EQUASS",
      "onb.law": "Įstatymas, kuriuo principas grindžiamas",
      "onb.chooseOrg": "Pasirinkite savo organizaciją viršuje, kad kiekviename žingsnyje matytumėte jos dokumentus.",
      "onb.noOwn": "Jūsų organizacijos dokumentuose šiam principui skirtos vietos neradome – paklauskite kokybės koordinatoriaus.",
      "quote.open": "Atidaryti citatą dokumente",
      "quote.source": "Šaltinis",
      "quote.principles": "EQUASS principai",
      "doc.back": "← Atgal į pokalbį",
      "doc.loading": "Įkeliama…",
      "doc.jump": "Rodyti pažymėtą citatą",
      "doc.toc": "Turinys",
      "doc.organization": "Organizacija",
      "doc.date": "Data",
      "doc.kind": "Rūšis",
      "doc.source": "Šaltinis",
      "doc.notFound": "Dokumentas nerastas.",
      "doc.highlight": "Pažymėta citata",
      "kind.law": "įstatymas",
      "kind.policy": "organizacijos dokumentas",
      "kind.equass": "EQUASS principo aprašas",
      "cov.title": "Kuri politika apima kurį EQUASS principą",
      "cov.intro": "Lentelė rodo, kiek stipriai kiekvienas dokumentas apima kiekvieną principą. Spragos – principai, kurių organizacijos dokumentai neapima arba apima silpnai.",
      "cov.gaps": "Spragos",
      "cov.matrix": "Aprėpties lentelė",
      "cov.caption": "Dokumentai ir principai",
      "cov.document": "Dokumentas",
      "cov.missing": "Neapima jokia organizacijos politika",
      "cov.weakGap": "Apima tik iš dalies",
      "cov.noGaps": "Spragų nerasta: kiekvieną principą stipriai apima bent vienas organizacijos dokumentas.",
      "cov.best": "stipriausias dokumentas",
      "cov.details": "Principą apimantys dokumentai",
      "cov.noDocs": "Nė vienas dokumentas šio principo neapima.",
      "cov.strength": "stiprumas",
      "onb.title": "Dešimt žingsnių naujam darbuotojui",
      "onb.intro": "Kiekvienas žingsnis – vienas EQUASS principas ir jūsų organizacijos dokumentai, kurie jį įgyvendina.",
      "onb.progress": "Pažanga",
      "onb.of": "iš",
      "onb.done": "Perskaičiau",
      "onb.ask": "Paklauskite asistento",
      "nav.uploads": "Dokumentai",
      "signOut": "Atsijungti",
      "refused.title": "Šis puslapis jums neprieinamas",
      "refused.text": "Jo turinys skirtas kitam vaidmeniui. Jei manote, kad tai klaida, kreipkitės į administratorių.",
      "login.title": "Prisijungimas",
      "login.username": "Naudotojo vardas",
      "login.password": "Slaptažodis",
      "login.submit": "Prisijungti",
      "login.wrong": "Neteisingas naudotojo vardas arba slaptažodis.",
      "login.tooMany": "Per daug nesėkmingų bandymų. Bandykite vėl po {seconds} s.",
      "login.stale": "Puslapis pasenęs: perkraukite jį ir bandykite dar kartą.",
      "up.title": "Organizacijos dokumentai",
      "up.intro": "Įkelkite politikas ir tvarkas: asistentas jas perskaitys ir ims cituoti, kai tik jos bus suindeksuotos – nieko perkrauti nereikia.",
      "up.files": "Failai",
      "up.accepts": "Priimami: {types}; kiekvienas iki {size} MB, iki {count} failų vienu kartu.",
      "up.visibility": "Kas gali matyti",
      "up.internal": "Tik mūsų darbuotojai",
      "up.public": "Viešas (svetainės valdiklis gali cituoti)",
      "up.submit": "Įkelti",
      "up.progress": "Eiga",
      "up.documents": "Dokumentai",
      "up.document": "Dokumentas",
      "up.seenBy": "Matomumas",
      "up.indexed": "Suindeksuota",
      "up.withdraw": "Atšaukti",
      "up.confirmWithdraw": "Atšaukti dokumentą „{title}“? Asistentas jo nebecituos.",
      "up.stage.queued": "Laukia eilėje…",
      "up.stage.reading": "Skaitomi failai",
      "up.stage.embedding": "Indeksuojama",
      "up.stage.writing": "Įrašomas indeksas…",
      "up.stage.loading": "Asistentas įkelia naują indeksą…",
      "up.stage.done": "Baigta: asistentas jau atsako iš naujų dokumentų.",
      "up.stage.failed": "Nepavyko.",
      "up.result.pending": "laukia",
      "up.result.added": "pridėtas",
      "up.result.updated": "atnaujintas",
      "up.result.unchanged": "nepasikeitė",
      "up.result.refused": "atmestas",
      "up.result.withdrawn": "atšauktas",
      "up.vis.public": "viešas",
      "up.vis.internal": "vidinis",
      "up.none": "Dokumentų dar nėra."
    },
    en: {
      "brand": "EQUASS assistant",
      "skip": "Skip to content",
      "nav.label": "Main menu",
      "nav.chat": "Chat",
      "nav.principles": "Principles",
      "nav.onboarding": "New staff",
      "lang.switch": "Perjungti į lietuvių kalbą",
      "lang.other": "LT",
      "loading": "Loading…",
      "busy": "Looking for an answer…",
      "send": "Send",
      "unreachable": "The service is unreachable. Please try again later.",
      "org.label": "Organisation",
      "org.mine": "My organisation",
      "org.all": "All organisations",
      "chat.title": "Chat with the assistant",
      "chat.new": "New conversation",
      "chat.welcome": "Ask about EQUASS, your organisation's policies and the law",
      "chat.intro": "Answers are made only of exact quotes, each linked to its source.",
      "chat.examples": "Example questions",
      "chat.messages": "Conversation messages",
      "chat.label": "Your question",
      "chat.placeholder": "Type a question…",
      "chat.hint": "Enter to send, Shift+Enter for a new line",
      "chat.you": "You",
      "chat.assistant": "Assistant",
      "chat.notFound": "No answer found",
      "chat.lookAt": "You could look at:",
      "chat.nearest": "The nearest passages in the documents – not an answer, read them yourself:",
      "chat.retry": "Try again",
      "chat.notFoundText": "I did not find an answer in the documents provided.",
      "chat.chooseOrganization": "You asked about your own organisation, but none is chosen, and what I found is one organisation's own document. Choose your organisation above and ask again.",
      "ask.invalid": "This text cannot be read as a question: write the question in words (up to 2,000 characters).",
      "fb.question": "Was this answer helpful?",
      "fb.helpful": "Helpful",
      "fb.unhelpful": "Not helpful",
      "fb.thanks": "Thank you, your rating is saved.",
      "fb.failed": "The rating could not be saved. Please try again.",
      "org.unknown": "The organisation “{name}” is unknown, so its documents would be missing from answers. Choose one of: {list}.",
      "kind.programme": "programme description",
      "cov.partial": "partial",
      "cov.levelNone": "none",
      "cov.levelStrong": "strong",
      "cov.scrollHint": "The table is wider than the screen: scroll it sideways.",
      "cov.download": "Download the table:",
      "cov.csv": "CSV (Excel)",
      "cov.xlsx": "Excel workbook (.xlsx)",
      "cov.evidence": "The quote the rating rests on",
      "cov.cellHelp": "Select a cell to see the quote it rests on.",
      "cov.notAssessed": "No gap report: these organisations have no policy documents of their own (programme pages only):",
      "un.title": "Unanswered questions",
      "un.intro": "Questions the assistant could not answer, or whose answer staff marked as not helpful, grouped by the principle they most resemble: a sign of which policy may be missing. They are kept as long as conversations, with nothing about who asked.",
      "un.none": "No unanswered questions.",
      "un.other": "Other",
      "un.refused": "no answer found",
      "un.unhelpful": "marked not helpful",
      "un.csv": "Download CSV",
      "un.times": "times",
      "onb.own": "Your organisation's documents",
      "onb.equass": "What EQUASS says",
      "onb.law": "The law the principle rests on",
      "onb.chooseOrg": "Choose your organisation above to see its documents in every step.",
      "onb.noOwn": "No passage of your organisation's documents is given to this principle: ask your quality coordinator.",
      "quote.open": "Open the quote in the document",
      "quote.source": "Source",
      "quote.principles": "EQUASS principles",
      "doc.back": "← Back to the chat",
      "doc.loading": "Loading…",
      "doc.jump": "Show the highlighted quote",
      "doc.toc": "Contents",
      "doc.organization": "Organisation",
      "doc.date": "Date",
      "doc.kind": "Kind",
      "doc.source": "Source",
      "doc.notFound": "Document not found.",
      "doc.highlight": "Highlighted quote",
      "kind.law": "law",
      "kind.policy": "organisation's document",
      "kind.equass": "EQUASS principle description",
      "cov.title": "Which policy covers which EQUASS principle",
      "cov.intro": "The table shows how strongly each document covers each principle. Gaps are principles that an organisation's documents do not cover, or cover only weakly.",
      "cov.gaps": "Gaps",
      "cov.matrix": "Coverage table",
      "cov.caption": "Documents and principles",
      "cov.document": "Document",
      "cov.missing": "Not covered by any of the organisation's policies",
      "cov.weakGap": "Covered only in part",
      "cov.noGaps": "No gaps: every principle is strongly covered by at least one of the organisation's documents.",
      "cov.best": "strongest document",
      "cov.details": "Documents covering the principle",
      "cov.noDocs": "No document covers this principle.",
      "cov.strength": "strength",
      "onb.title": "Ten steps for a new employee",
      "onb.intro": "Each step is one EQUASS principle and your organisation's documents that put it into practice.",
      "onb.progress": "Progress",
      "onb.of": "of",
      "onb.done": "I have read this",
      "onb.ask": "Ask the assistant",
      "nav.uploads": "Documents",
      "signOut": "Sign out",
      "refused.title": "This page is not open to you",
      "refused.text": "It is meant for another role. If you think this is a mistake, ask your administrator.",
      "login.title": "Sign in",
      "login.username": "User name",
      "login.password": "Password",
      "login.submit": "Sign in",
      "login.wrong": "Wrong user name or password.",
      "login.tooMany": "Too many failed attempts. Try again in {seconds} s.",
      "login.stale": "The page is out of date: reload it and try again.",
      "up.title": "Your organisation's documents",
      "up.intro": "Upload policies and procedures: the assistant reads them and quotes them as soon as they are indexed, with no restart.",
      "up.files": "Files",
      "up.accepts": "Accepted: {types}; each up to {size} MB, up to {count} files at a time.",
      "up.visibility": "Who may see them",
      "up.internal": "Our staff only",
      "up.public": "Public (the website widget may quote them)",
      "up.submit": "Upload",
      "up.progress": "Progress",
      "up.documents": "Documents",
      "up.document": "Document",
      "up.seenBy": "Visibility",
      "up.indexed": "Indexed",
      "up.withdraw": "Withdraw",
      "up.confirmWithdraw": "Withdraw “{title}”? The assistant will no longer quote it.",
      "up.stage.queued": "Waiting in the queue…",
      "up.stage.reading": "Reading files",
      "up.stage.embedding": "Indexing",
      "up.stage.writing": "Writing the index…",
      "up.stage.loading": "The assistant is loading the new index…",
      "up.stage.done": "Done: the assistant now answers from the new documents.",
      "up.stage.failed": "Failed.",
      "up.result.pending": "waiting",
      "up.result.added": "added",
      "up.result.updated": "updated",
      "up.result.unchanged": "unchanged",
      "up.result.refused": "refused",
      "up.result.withdrawn": "withdrawn",
      "up.vis.public": "public",
      "up.vis.internal": "internal",
      "up.none": "No documents yet."
    }
  };

  var LANG_KEY = "equass-lang";
  var ORG_KEY = "equass-organization";
  var listeners = [];

  function stored(storage, key) {
    try { return window[storage].getItem(key); } catch (e) { return null; }
  }

  function store(storage, key, value) {
    try {
      if (value === null || value === undefined || value === "") window[storage].removeItem(key);
      else window[storage].setItem(key, value);
    } catch (e) { /* storage disabled: the setting lasts for this page only */ }
  }

  var lang = stored("localStorage", LANG_KEY) === "en" ? "en" : "lt";

  function t(key) {
    return (MESSAGES[lang] && MESSAGES[lang][key]) || MESSAGES.lt[key] || key;
  }

  /* Fill every element marked with data-i18n* under root with the current language. */
  function translate(root) {
    root = root || document;
    root.querySelectorAll("[data-i18n]").forEach(function (node) { node.textContent = t(node.dataset.i18n); });
    root.querySelectorAll("[data-i18n-placeholder]").forEach(function (node) { node.placeholder = t(node.dataset.i18nPlaceholder); });
    root.querySelectorAll("[data-i18n-aria-label]").forEach(function (node) { node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel)); });
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    translate(document);
    var toggle = document.getElementById("lang-toggle");
    if (toggle) {
      toggle.textContent = t("lang.other");
      toggle.setAttribute("aria-label", t("lang.switch"));
    }
    var title = document.querySelector("title");
    if (title && !title.dataset.keep) title.textContent = title.textContent.replace(/EQUASS (asistentas|assistant)/, t("brand"));
  }

  function setLanguage(value) {
    lang = value === "en" ? "en" : "lt";
    store("localStorage", LANG_KEY, lang);
    applyLanguage();
    listeners.forEach(function (listener) { listener(lang); });
  }

  /* el("a", {href: "/x", class: "y"}, ["text", otherNode]): strings become text nodes. */
  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /* A link target we are willing to put in href: a path on this server, or an http(s) address. */
  function safeHref(url) {
    if (typeof url !== "string") return null;
    if (url.charAt(0) === "/" && url.charAt(1) !== "/" && url.charAt(1) !== "\\") return url;
    return /^https?:\/\//i.test(url) ? url : null;
  }

  /* organizations: the known names, when the server refused an unknown organisation (422). */
  function ApiError(status, message, organizations, retryAfter) {
    this.status = status;
    this.message = message;
    this.organizations = organizations || null;
    this.retryAfter = retryAfter || null;
  }

  /* The session's CSRF token (signed in), sent with every request that changes something. */
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : null;
  }

  /* fetch JSON; rejects with ApiError(0) when the server cannot be reached. options.form sends a
   * FormData (an upload) as it is. */
  function api(path, options) {
    options = options || {};
    var init = { method: options.method || "GET", headers: { "Accept": "application/json" } };
    if (options.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    if (options.form !== undefined) init.body = options.form;
    if (init.method !== "GET" && csrfToken()) init.headers["X-CSRF-Token"] = csrfToken();
    return fetch(path, init).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          throw new ApiError(response.status, typeof data.detail === "string" ? data.detail : "",
            Array.isArray(data.organizations) ? data.organizations : null, response.headers.get("Retry-After"));
        });
      }
      return response.json();
    }, function () { throw new ApiError(0, ""); });
  }

  function errorMessage(error, organization) {
    if (error instanceof ApiError && error.status === 404) return t("doc.notFound");
    if (error instanceof ApiError && error.organizations) return unknownOrganization(organization, error.organizations);
    return t("unreachable");
  }

  function unknownOrganization(name, known) {
    return t("org.unknown").replace("{name}", name || "").replace("{list}", known.join("; "));
  }

  /* 0.85 as a person of the current language writes it: "0,85" in Lithuanian. */
  function number(value) {
    var text = Number(value).toFixed(2);
    return lang === "lt" ? text.replace(".", ",") : text;
  }

  /* "Naudinga / Nenaudinga" under an answer: vote(helpful) returns a promise; the choice is kept in
   * the given record (record.vote) so a re-rendered answer shows it. */
  function feedbackControl(record, vote) {
    var status = el("span", { class: "feedback-status", role: "status" });
    var buttons = [true, false].map(function (helpful) {
      return el("button", { type: "button", class: "secondary vote", "aria-pressed": record.vote === helpful ? "true" : "false",
        disabled: record.vote !== undefined && record.vote !== null,
        onclick: function () {
          buttons.forEach(function (b) { b.disabled = true; });
          vote(helpful).then(function () {
            record.vote = helpful;
            buttons[helpful ? 0 : 1].setAttribute("aria-pressed", "true");
            status.textContent = t("fb.thanks");
          }, function () {
            buttons.forEach(function (b) { b.disabled = false; });
            status.textContent = t("fb.failed");
          });
        } }, [t(helpful ? "fb.helpful" : "fb.unhelpful")]);
    });
    if (record.vote !== undefined && record.vote !== null) status.textContent = t("fb.thanks");
    return el("div", { class: "feedback", role: "group", "aria-label": t("fb.question") },
      [el("span", { class: "feedback-question" }, [t("fb.question")]), buttons[0], buttons[1], status]);
  }

  /* Organisations that have their own documents (laws and EQUASS texts are shared by all). */
  function organizations() {
    return api("/api/documents").then(function (data) {
      var names = {};
      data.documents.forEach(function (d) { if (d.organization && !d.shared) names[d.organization] = true; });
      return Object.keys(names).sort(function (a, b) { return a.localeCompare(b, "lt"); });
    });
  }

  /* Fill the #organization select, restore the saved choice and report changes. */
  function organizationPicker(onChange) {
    var select = document.getElementById("organization");
    if (!select) return Promise.resolve(null);
    var saved = stored("localStorage", ORG_KEY) || "";
    select.addEventListener("change", function () {
      store("localStorage", ORG_KEY, select.value);
      onChange(select.value || null);
    });
    return organizations().then(function (names) {
      names.forEach(function (name) { select.appendChild(el("option", { value: name }, [name])); });
      if (names.indexOf(saved) >= 0) select.value = saved;
      return select.value || null;
    }, function () { return null; });
  }

  function currentOrganization() {
    var select = document.getElementById("organization");
    return select && select.value ? select.value : null;
  }

  function principleName(principle) {
    return lang === "en" ? principle.name_en : principle.name_lt;
  }

  /* A quote: its source line (linked to the exact place in the document) over a blockquote. */
  function quoteFigure(quote, principleNames) {
    var href = safeHref(quote.url);
    var details = [quote.organization, quote.section].filter(Boolean).join(" · ");
    var caption = el("figcaption", { class: "source" }, [
      href ? el("a", { href: href, title: t("quote.open") }, [quote.title]) : el("span", {}, [quote.title]),
      details ? el("span", { class: "source-details" }, [details]) : null
    ]);
    var names = (quote.principles || []).map(function (id) { return principleNames && principleNames[id]; }).filter(Boolean);
    var tags = names.length ? el("p", { class: "tags" }, [t("quote.principles") + ": " + names.join(", ")]) : null;
    return el("figure", { class: "quote" }, [caption, el("blockquote", {}, [quote.text]), tags]);
  }

  /* Split an answer into its own paragraphs and the quotes it carries, in order. A paragraph
   * holding a quote ("According to <source>: “<quote>”") is replaced by that quote, shown with its
   * source line; quotes the answer text does not carry are added at the end. */
  function answerParts(answer, quotes) {
    var parts = [];
    var cursor = 0;
    var shown = {};
    function paragraphs(text) {
      text.split(/\n\s*\n/).forEach(function (p) { if (p.trim()) parts.push({ text: p.trim() }); });
    }
    quotes.map(function (q, i) { return { index: i, at: q.text ? answer.indexOf(q.text) : -1 }; })
      .filter(function (f) { return f.at >= 0; })
      .sort(function (a, b) { return a.at - b.at; })
      .forEach(function (found) {
        if (found.at < cursor) return;
        var start = Math.max(answer.lastIndexOf("\n\n", found.at), cursor);
        var next = answer.indexOf("\n\n", found.at + quotes[found.index].text.length);
        paragraphs(answer.slice(cursor, start));
        parts.push({ quote: quotes[found.index] });
        shown[found.index] = true;
        cursor = next < 0 ? answer.length : next;
      });
    paragraphs(answer.slice(cursor));
    quotes.forEach(function (q, i) { if (!shown[i]) parts.push({ quote: q }); });
    return parts;
  }

  var principleNamesCache = null;
  /* {principle id: name in the current language}; empty when the principles API is missing. */
  function principleNames() {
    if (!principleNamesCache) {
      principleNamesCache = api("/api/principles").then(function (data) { return data.principles; }, function () { return []; });
    }
    return principleNamesCache.then(function (principles) {
      var names = {};
      principles.forEach(function (p) { names[p.id] = principleName(p); });
      return names;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    applyLanguage();
    var toggle = document.getElementById("lang-toggle");
    if (toggle) toggle.addEventListener("click", function () { setLanguage(lang === "lt" ? "en" : "lt"); });
    var signOut = document.getElementById("sign-out");
    if (signOut) signOut.addEventListener("click", function () {
      api("/api/session", { method: "DELETE" }).then(function () { window.location.href = "/login"; },
        function () { window.location.href = "/login"; });
    });
  });

  window.Equass = {
    t: t,
    lang: function () { return lang; },
    onLanguage: function (listener) { listeners.push(listener); },
    translate: translate,
    el: el,
    safeHref: safeHref,
    api: api,
    ApiError: ApiError,
    errorMessage: errorMessage,
    unknownOrganization: unknownOrganization,
    number: number,
    feedbackControl: feedbackControl,
    organizationPicker: organizationPicker,
    currentOrganization: currentOrganization,
    principleName: principleName,
    principleNames: principleNames,
    quoteFigure: quoteFigure,
    answerParts: answerParts,
    stored: stored,
    store: store
  };
})();
