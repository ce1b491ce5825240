/* The embeddable assistant:
 *   <script src="https://ASSISTANT-HOST/widget.js" data-organization="..." data-lang="lt"></script>
 * or, on a service with accounts, with the organisation's embed key (it works only from the key's
 * allowed origins, and sees the organisation's public and the shared documents):
 *   <script src="https://ASSISTANT-HOST/widget.js" data-key="ek_..."></script>
 * adds a floating button that opens a chat panel talking to /api/ask on the host the script came
 * from. It lives in a Shadow DOM so the host page's CSS does not reach it. The host page's origin
 * must be listed in the assistant's EQUASS_CORS_ORIGINS setting. Answers are inserted as text only. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__equassWidget) return;
  window.__equassWidget = true;

  var base = new URL(".", script.src);
  var organization = script.getAttribute("data-organization") || null;
  var embedKey = script.getAttribute("data-key") || null;

  function headers() {
    var result = { "Content-Type": "application/json", "Accept": "application/json" };
    if (embedKey) result["X-Embed-Key"] = embedKey;
    return result;
  }
  var LANG_KEY = "equass-widget-lang";
  var TEXT = {
    lt: {
      open: "Klauskite EQUASS asistento", title: "EQUASS asistentas", close: "Uždaryti",
      fresh: "Naujas pokalbis", label: "Jūsų klausimas", placeholder: "Įrašykite klausimą…",
      send: "Siųsti", busy: "Ieškau atsakymo…", unreachable: "Paslauga nepasiekiama. Bandykite vėliau.",
      notFound: "Atsakymas nerastas", lookAt: "Galite pažiūrėti:",
      nearest: "Artimiausios vietos dokumentuose – tai ne atsakymas, perskaitykite jas patys:", messages: "Pokalbio žinutės",
      intro: "Atsakau tik tiksliomis citatomis iš dokumentų, su nuorodomis į šaltinį.",
      notFoundText: "Pateiktuose dokumentuose atsakymo neradau.",
      chooseOrganization: "Klausiate apie savo organizaciją, bet ši svetainė jos nenurodo, o radau tik vienos organizacijos dokumentą. Paklauskite, įvardydami organizaciją.",
      invalid: "Šio teksto negaliu perskaityti kaip klausimo: parašykite klausimą žodžiais.",
      helpful: "Naudinga", unhelpful: "Nenaudinga", rate: "Ar atsakymas naudingas?",
      thanks: "Ačiū, įvertinimas išsaugotas.", rateFailed: "Įvertinimo išsaugoti nepavyko.",
      unknownOrganization: "Organizacija „{name}“, nurodyta šio puslapio žymos data-organization atribute, asistentui nežinoma. Svetainės administratorius turi ją pataisyti į vieną iš: {list}.",
      corsBlocked: "Asistentas veikia, bet neleidžia šiai svetainei ({origin}) jo naudoti. Svetainės administratorius turi įrašyti šį adresą į asistento nustatymą EQUASS_CORS_ORIGINS.",
      hint: "Enter – siųsti, Shift+Enter – nauja eilutė, Esc – uždaryti",
      you: "Jūs", assistant: "Asistentas", other: "EN", switchTo: "Switch to English"
    },
    en: {
      open: "Ask the EQUASS assistant", title: "EQUASS assistant", close: "Close",
      fresh: "New conversation", label: "Your question", placeholder: "Type a question…",
      send: "Send", busy: "Looking for an answer…", unreachable: "The service is unreachable. Please try again later.",
      notFound: "No answer found", lookAt: "You could look at:",
      nearest: "The nearest passages in the documents – not an answer, read them yourself:", messages: "Conversation messages",
      intro: "I answer only with exact quotes from the documents, each linked to its source.",
      notFoundText: "I did not find an answer in the documents provided.",
      chooseOrganization: "You asked about your own organisation, but this site does not say which, and what I found is one organisation's own document. Ask again naming the organisation.",
      invalid: "This text cannot be read as a question: write the question in words.",
      helpful: "Helpful", unhelpful: "Not helpful", rate: "Was this answer helpful?",
      thanks: "Thank you, your rating is saved.", rateFailed: "The rating could not be saved.",
      unknownOrganization: "The organisation “{name}” in this page's data-organization attribute is unknown to the assistant. The site's administrator must change it to one of: {list}.",
      corsBlocked: "The assistant is running but does not allow this site ({origin}) to use it. The site's administrator must add this address to the assistant's EQUASS_CORS_ORIGINS setting.",
      hint: "Enter to send, Shift+Enter for a new line, Esc to close",
      you: "You", assistant: "Assistant", other: "LT", switchTo: "Perjungti į lietuvių kalbą"
    }
  };

  function savedLanguage() {
    try { return window.localStorage.getItem(LANG_KEY); } catch (e) { return null; }
  }
  var lang = script.getAttribute("data-lang") || savedLanguage() ||
    ((document.documentElement.lang || "").toLowerCase().indexOf("en") === 0 ? "en" : "lt");
  if (!TEXT[lang]) lang = "lt";
  function t(key) { return TEXT[lang][key]; }

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "class") node.className = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /* Links point back to the assistant's own pages; anything else is not made a link. */
  function assistantLink(url) {
    if (typeof url !== "string" || url.charAt(0) !== "/" || url.charAt(1) === "/") return null;
    return new URL(url, base).href;
  }

  var host = el("equass-assistant", {});
  var root = host.attachShadow({ mode: "open" });
  var sheet = el("link", { rel: "stylesheet", href: new URL("static/widget.css", base).href });
  var launcher = el("button", { type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "equass-panel" });
  var launcherIcon = el("span", { class: "launcher-icon", "aria-hidden": "true" }, ["?"]);
  var launcherText = el("span", { class: "launcher-text" });
  launcher.appendChild(launcherIcon);
  launcher.appendChild(launcherText);

  var heading = el("h2", { id: "equass-title" });
  var langButton = el("button", { type: "button", class: "tool lang" });
  var freshButton = el("button", { type: "button", class: "tool fresh" });
  var closeButton = el("button", { type: "button", class: "tool close" }, [el("span", { "aria-hidden": "true" }, ["×"])]);
  var intro = el("p", { class: "intro" });
  var list = el("ol", { class: "messages", "aria-live": "polite", "aria-busy": "false" });
  var status = el("p", { class: "status", role: "status", hidden: true }, [el("span", { class: "spinner", "aria-hidden": "true" })]);
  var statusText = el("span");
  status.appendChild(statusText);
  var label = el("label", { for: "equass-question", class: "visually-hidden" });
  var input = el("textarea", { id: "equass-question", rows: "2", maxlength: "2000", "aria-describedby": "equass-hint" });
  var send = el("button", { type: "submit", class: "send" });
  var hint = el("p", { id: "equass-hint", class: "hint" });
  var form = el("form", { class: "composer", autocomplete: "off" }, [label, input, send, hint]);
  var body = el("div", { class: "body" }, [intro, list, status]);
  var panel = el("section", { id: "equass-panel", class: "panel", role: "dialog", "aria-labelledby": "equass-title", hidden: true }, [
    el("header", {}, [heading, langButton, freshButton, closeButton]),
    body,
    form
  ]);
  root.appendChild(sheet);
  root.appendChild(panel);
  root.appendChild(launcher);

  var conversationId = null;
  var busy = false;

  function applyLanguage() {
    launcher.setAttribute("aria-label", t("open"));
    launcherText.textContent = t("title");
    heading.textContent = t("title");
    langButton.textContent = t("other");
    langButton.setAttribute("aria-label", t("switchTo"));
    freshButton.textContent = t("fresh");
    closeButton.setAttribute("aria-label", t("close"));
    intro.textContent = t("intro");
    list.setAttribute("aria-label", t("messages"));
    statusText.textContent = t("busy");
    label.textContent = t("label");
    input.placeholder = t("placeholder");
    send.textContent = t("send");
    hint.textContent = t("hint");
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  function quoteFigure(quote) {
    var href = assistantLink(quote.url);
    var details = [quote.organization, quote.section].filter(Boolean).join(" · ");
    return el("figure", { class: "quote" }, [
      el("figcaption", { class: "source" }, [
        href ? el("a", { href: href, target: "_blank", rel: "noopener" }, [quote.title]) : el("span", {}, [quote.title]),
        details ? el("span", { class: "details" }, [details]) : null
      ]),
      el("blockquote", {}, [quote.text])
    ]);
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

  function answerNode(response) {
    if (response.abstained) {
      var links = (response.suggestions || []).filter(function (s) { return assistantLink(s.url); });
      var box = el("div", { class: "answer abstained" }, [el("p", { class: "label" }, [t("notFound")]),
        el("p", {}, [t(response.refusal === "choose_organization" ? "chooseOrganization" : "notFoundText")])]);
      var nearest = response.nearest || [];
      if (nearest.length) {
        box.appendChild(el("p", {}, [t("nearest")]));
        nearest.forEach(function (q) { box.appendChild(quoteFigure(q)); });
      } else if (links.length) {
        box.appendChild(el("p", {}, [t("lookAt")]));
        box.appendChild(el("ul", {}, links.map(function (s) {
          return el("li", {}, [el("a", { href: assistantLink(s.url), target: "_blank", rel: "noopener" }, [s.title])]);
        })));
      }
      return box;
    }
    var body = el("div", { class: "answer" }, [el("span", { class: "visually-hidden" }, [t("assistant") + ": "])]);
    answerParts(response.answer, response.quotes).forEach(function (part) {
      body.appendChild(part.quote ? quoteFigure(part.quote) : el("p", {}, [part.text]));
    });
    body.appendChild(feedbackControl(response));
    return body;
  }

  /* "Naudinga / Nenaudinga": the vote goes to /api/feedback with the answer's place in the conversation. */
  function feedbackControl(response) {
    var status = el("span", { class: "feedback-status", role: "status" });
    var buttons = [true, false].map(function (helpful) {
      return el("button", { type: "button", class: "vote", "aria-pressed": "false", onclick: function () {
        buttons.forEach(function (b) { b.disabled = true; });
        fetch(new URL("api/feedback", base).href, {
          method: "POST", headers: headers(),
          body: JSON.stringify({ conversation_id: response.conversation_id, position: response.position, helpful: helpful })
        }).then(function (answer) {
          if (!answer.ok) throw new Error("HTTP " + answer.status);
          buttons[helpful ? 0 : 1].setAttribute("aria-pressed", "true");
          status.textContent = t("thanks");
        }).catch(function () {
          buttons.forEach(function (b) { b.disabled = false; });
          status.textContent = t("rateFailed");
        });
      } }, [t(helpful ? "helpful" : "unhelpful")]);
    });
    return el("div", { class: "feedback", role: "group", "aria-label": t("rate") }, [buttons[0], buttons[1], status]);
  }

  /* Why a request failed, in words the person who embedded the widget can act on; the same is
   * written to the browser console. A fetch that fails outright is either the service being down
   * or this site's origin missing from EQUASS_CORS_ORIGINS: a no-cors request to /healthz tells
   * them apart (it reaches a running service whatever the CORS setting). */
  function failureMessage(error) {
    if (error && error.organizations) {
      var known = t("unknownOrganization").replace("{name}", organization || "").replace("{list}", error.organizations.join("; "));
      console.error("EQUASS assistant: " + (error.detail || "unknown organization") + " Known organizations: " + error.organizations.join("; "));
      return Promise.resolve(known);
    }
    if (error && error.status === 422) return Promise.resolve(t("invalid"));
    if (error && error.status) return Promise.resolve(t("unreachable"));
    return fetch(new URL("healthz", base).href, { mode: "no-cors", cache: "no-store" }).then(function () {
      var origin = window.location.origin;
      console.error("EQUASS assistant: this page's origin " + origin + " is not allowed to call " + base.href +
        ". Start the assistant with EQUASS_CORS_ORIGINS='[\"" + origin + "\"]' (a JSON list of allowed origins).");
      return t("corsBlocked").replace("{origin}", origin);
    }, function () { return t("unreachable"); });
  }

  function setBusy(value) {
    busy = value;
    send.disabled = value;
    list.setAttribute("aria-busy", value ? "true" : "false");
    status.hidden = !value;
  }

  function ask(question) {
    var item = el("li", { class: "exchange" }, [
      el("div", { class: "question" }, [el("span", { class: "visually-hidden" }, [t("you") + ": "]), question])]);
    list.appendChild(item);
    intro.hidden = true;
    setBusy(true);
    fetch(new URL("api/ask", base).href, {
      method: "POST",
      headers: headers(),
      body: JSON.stringify({ question: question, conversation_id: conversationId, organization: organization })
    }).then(function (response) {
      if (response.ok) return response.json();
      return response.json().catch(function () { return {}; }).then(function (data) {
        throw { status: response.status, detail: data.detail, organizations: Array.isArray(data.organizations) ? data.organizations : null };
      });
    }).then(function (response) {
      conversationId = response.conversation_id;
      item.appendChild(answerNode(response));
    }, function (error) {
      return failureMessage(error).then(function (message) {
        item.appendChild(el("div", { class: "answer error", role: "alert" }, [message]));
      });
    }).then(function () {
      setBusy(false);
      /* Scroll the conversation only: scrollIntoView would also scroll the panel (overflow hidden,
       * yet scrollable by script) and the host page, hiding the header's buttons. */
      body.scrollTop += item.getBoundingClientRect().top - body.getBoundingClientRect().top;
    });
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  closeButton.addEventListener("click", close);
  freshButton.addEventListener("click", function () {
    conversationId = null;
    list.textContent = "";
    intro.hidden = false;
    input.focus();
  });
  langButton.addEventListener("click", function () {
    lang = lang === "lt" ? "en" : "lt";
    try { window.localStorage.setItem(LANG_KEY, lang); } catch (e) { /* the choice lasts for this page */ }
    applyLanguage();
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value.trim();
    if (!question || busy) return;
    input.value = "";
    ask(question);
  });

  applyLanguage();
  /* Shown once its stylesheet has arrived, so the button never flashes unstyled. */
  host.style.visibility = "hidden";
  sheet.addEventListener("load", function () { host.style.visibility = ""; });
  sheet.addEventListener("error", function () { host.style.visibility = ""; });

  function attach() { document.body.appendChild(host); }
  if (document.body) attach(); else document.addEventListener("DOMContentLoaded", attach);
})();
