/* The full-page chat: questions go to POST /api/ask; each answer is shown as its quotes
 * (source line + blockquote) or, when the assistant abstains, as a muted box with suggestions.
 * The conversation lives in sessionStorage, so it survives following a source link and coming back. */
(function () {
  "use strict";
  var E = window.Equass;
  var el = E.el;
  var STATE_KEY = "equass-chat";
  var EXAMPLES = {
    lt: ["Kas yra EQUASS?", "Kada Klaipėdos centre vyko EQUASS vidaus auditas?",
      "Kas yra socialinė globa?", "Kuri politika apima etikos principą?"],
    en: ["What is EQUASS?", "Which policy covers ethics?", "What is social care?"]
  };

  var form = document.getElementById("ask-form");
  var input = document.getElementById("question");
  var send = document.getElementById("send");
  var list = document.getElementById("messages");
  var status = document.getElementById("status");
  var welcome = document.getElementById("welcome");
  var examples = document.getElementById("examples");
  var state = load();
  var busy = false;
  var names = {};

  function load() {
    try {
      var saved = JSON.parse(E.stored("sessionStorage", STATE_KEY) || "null");
      if (saved && Array.isArray(saved.exchanges)) {
        /* A question still waiting when the page was left gets a "try again" button. */
        saved.exchanges.forEach(function (exchange) { if (!exchange.response) exchange.error = true; });
        return saved;
      }
    } catch (e) { /* a damaged saved conversation is dropped */ }
    return { conversationId: null, exchanges: [] };
  }

  function save() {
    E.store("sessionStorage", STATE_KEY, JSON.stringify(state));
  }

  function answerBody(response) {
    return el("div", { class: "answer-body" }, E.answerParts(response.answer, response.quotes).map(function (part) {
      return part.quote ? E.quoteFigure(part.quote, names) : el("p", {}, [part.text]);
    }));
  }

  /* The refusal in the interface's language (the server words it in the question's language). */
  function abstention(response) {
    var links = (response.suggestions || []).filter(function (s) { return E.safeHref(s.url); });
    var box = el("div", { class: "answer abstained" }, [
      el("p", { class: "answer-label" }, [E.t("chat.notFound")]),
      el("p", {}, [E.t(response.refusal === "choose_organization" ? "chat.chooseOrganization" : "chat.notFoundText")])
    ]);
    var nearest = response.nearest || [];
    if (nearest.length) {
      /* Places to read, set apart from an answer by the muted box and the label. */
      box.appendChild(el("p", {}, [E.t("chat.nearest")]));
      box.appendChild(el("div", { class: "nearest" }, nearest.map(function (q) { return E.quoteFigure(q, names); })));
    } else if (links.length) {
      box.appendChild(el("p", {}, [E.t("chat.lookAt")]));
      box.appendChild(el("ul", { class: "suggestions" }, links.map(function (s) {
        return el("li", {}, [el("a", { href: E.safeHref(s.url) }, [s.title]),
          s.organization ? el("span", { class: "source-details" }, [s.organization]) : null]);
      })));
    }
    return box;
  }

  function exchangeNode(exchange, index) {
    var item = el("li", { class: "exchange", id: "exchange-" + index });
    item.appendChild(el("div", { class: "question" }, [
      el("span", { class: "visually-hidden" }, [E.t("chat.you") + ": "]), exchange.question]));
    if (exchange.response) {
      var response = exchange.response;
      item.appendChild(response.abstained ? abstention(response)
        : el("div", { class: "answer" }, [el("span", { class: "visually-hidden" }, [E.t("chat.assistant") + ": "]),
          answerBody(response), E.feedbackControl(exchange, function (helpful) { return vote(exchange, helpful); })]));
    } else if (exchange.error) {
      item.appendChild(el("div", { class: "answer error", role: "alert" }, [
        el("p", {}, [exchange.error === true ? E.t("unreachable") : exchange.error]),
        el("button", { type: "button", class: "secondary", onclick: function () { retry(index); } }, [E.t("chat.retry")])
      ]));
    }
    return item;
  }

  /* Rebuild the whole list (on load and on a language switch) without re-announcing it. */
  function renderAll() {
    list.setAttribute("aria-live", "off");
    list.textContent = "";
    state.exchanges.forEach(function (exchange, i) { list.appendChild(exchangeNode(exchange, i)); });
    welcome.hidden = state.exchanges.length > 0;
    window.setTimeout(function () { list.setAttribute("aria-live", "polite"); }, 0);
  }

  function setBusy(value) {
    busy = value;
    send.disabled = value;
    list.setAttribute("aria-busy", value ? "true" : "false");
    status.hidden = !value;
    examples.querySelectorAll("button").forEach(function (button) { button.disabled = value; });
  }

  function ask(question) {
    question = question.trim();
    if (!question || busy) return;
    var index = state.exchanges.length;
    state.exchanges.push({ question: question, response: null, error: false });
    save();
    welcome.hidden = true;
    var pending = exchangeNode(state.exchanges[index], index);
    list.appendChild(pending);
    pending.scrollIntoView({ block: "nearest" });
    request(index);
  }

  function request(index) {
    var exchange = state.exchanges[index];
    setBusy(true);
    E.api("/api/ask", { method: "POST", body: {
      question: exchange.question,
      conversation_id: state.conversationId,
      organization: E.currentOrganization()
    } }).then(function (response) {
      state.conversationId = response.conversation_id;
      exchange.response = response;
      exchange.error = false;
    }, function (error) {
      /* 422 with the known organisations: say which name is wrong, not "unreachable"; any other 422:
       * the question itself cannot be read ("???"). */
      exchange.error = error && error.organizations ? E.errorMessage(error, E.currentOrganization())
        : error && error.status === 422 ? E.t("ask.invalid") : true;
    }).then(function () {
      save();
      var fresh = exchangeNode(exchange, index);
      var current = document.getElementById("exchange-" + index);
      if (current) list.replaceChild(fresh, current); else list.appendChild(fresh);
      setBusy(false);
      fresh.scrollIntoView({ block: "start", behavior: "smooth" });
    });
  }

  function vote(exchange, helpful) {
    return E.api("/api/feedback", { method: "POST", body: {
      conversation_id: exchange.response.conversation_id, position: exchange.response.position, helpful: helpful
    } }).then(function () { exchange.vote = helpful; save(); });
  }

  function retry(index) {
    var node = document.getElementById("exchange-" + index);
    var exchange = state.exchanges[index];
    if (!node || busy) return;
    exchange.error = false;
    var pending = exchangeNode(exchange, index);
    list.replaceChild(pending, node);
    request(index);
  }

  function newConversation() {
    state = { conversationId: null, exchanges: [] };
    save();
    renderAll();
    input.value = "";
    input.focus();
  }

  function renderExamples() {
    examples.textContent = "";
    EXAMPLES[E.lang()].forEach(function (text) {
      examples.appendChild(el("li", {}, [el("button", { type: "button", class: "chip", onclick: function () { ask(text); } }, [text])]));
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value;
    if (!question.trim() || busy) return;
    input.value = "";
    ask(question);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  document.getElementById("new-conversation").addEventListener("click", newConversation);
  E.onLanguage(function () { renderExamples(); E.principleNames().then(function (found) { names = found; renderAll(); }); });

  renderExamples();
  renderAll();
  var organizationReady = E.organizationPicker(function () {});
  E.principleNames().then(function (found) {
    names = found;
    if (state.exchanges.length) renderAll();
  });

  /* /?q=...: links from the onboarding page ask their question straight away. */
  var preset = new URLSearchParams(window.location.search).get("q");
  if (preset) {
    window.history.replaceState(null, "", "/");
    organizationReady.then(function () { ask(preset); });
  }
  input.focus();
})();
