/* The document view: /documents/{id}?start=S&end=E shows the document with text[S:E] in a <mark>,
 * scrolled into view. The text goes in as three text nodes (before, mark, after), never as HTML. */
(function () {
  "use strict";
  var E = window.Equass;
  var el = E.el;

  var article = document.querySelector("article.document");
  var title = document.getElementById("doc-title");
  var meta = document.getElementById("doc-meta");
  var textBox = document.getElementById("doc-text");
  var jump = document.getElementById("doc-jump");
  var toc = document.getElementById("doc-toc");
  var documentId = decodeURIComponent(window.location.pathname.replace(/^\/documents\//, "").replace(/\/$/, ""));
  var params = new URLSearchParams(window.location.search);
  var loaded = null;

  /* The requested span, if it is a valid, non-empty range inside the text. */
  function span(length) {
    var start = Number(params.get("start"));
    var end = Number(params.get("end"));
    if (!params.has("start") || !params.has("end") || !Number.isInteger(start) || !Number.isInteger(end)) return null;
    if (start < 0 || end > length || start >= end) return null;
    return { start: start, end: end };
  }

  function metaRow(labelKey, value) {
    if (!value) return;
    meta.appendChild(el("div", {}, [el("dt", {}, [E.t(labelKey)]), el("dd", {}, [value])]));
  }

  function renderMeta(doc) {
    meta.textContent = "";
    metaRow("doc.organization", doc.organization);
    metaRow("doc.date", doc.date);
    metaRow("doc.kind", E.t("kind." + doc.kind) === "kind." + doc.kind ? doc.kind : E.t("kind." + doc.kind));
    if (doc.source_url) {
      var href = /^https?:\/\//i.test(doc.source_url) ? doc.source_url : null;
      metaRow("doc.source", href ? el("a", { href: href, rel: "noopener noreferrer", target: "_blank" }, [doc.source_url]) : doc.source_url);
    }
  }

  function renderToc(doc) {
    var items = (doc.sections || []).filter(function (s) { return s.title && s.end > s.start; });
    var listNode = toc.querySelector("ol");
    listNode.textContent = "";
    if (items.length < 2) return;
    items.forEach(function (section) {
      var href = "/documents/" + encodeURIComponent(doc.document_id) + "?start=" + section.start + "&end=" + section.end;
      listNode.appendChild(el("li", { class: "toc-level-" + Math.min(section.level || 1, 4) }, [el("a", { href: href }, [section.title])]));
    });
    toc.hidden = false;
  }

  function renderText(doc) {
    var range = span(doc.text.length);
    textBox.textContent = "";
    if (!range) {
      textBox.appendChild(document.createTextNode(doc.text));
      return null;
    }
    var mark = el("mark", { id: "highlight", tabindex: "-1", "aria-label": E.t("doc.highlight") });
    mark.appendChild(document.createTextNode(doc.text.slice(range.start, range.end)));
    textBox.appendChild(document.createTextNode(doc.text.slice(0, range.start)));
    textBox.appendChild(mark);
    textBox.appendChild(document.createTextNode(doc.text.slice(range.end)));
    return mark;
  }

  function show(mark) {
    mark.scrollIntoView({ block: "center" });
    mark.focus({ preventScroll: true });
  }

  function render(doc) {
    loaded = doc;
    document.title = doc.title + " – " + E.t("brand");
    title.textContent = doc.title;
    renderMeta(doc);
    renderToc(doc);
    var mark = renderText(doc);
    article.setAttribute("aria-busy", "false");
    if (mark) {
      jump.hidden = false;
      jump.querySelector("button").onclick = function () { show(mark); };
      show(mark);
    }
  }

  function fail(error) {
    title.textContent = E.errorMessage(error);
    title.removeAttribute("data-i18n");
    title.classList.add("error-text");
    article.setAttribute("aria-busy", "false");
  }

  title.removeAttribute("data-i18n");
  title.textContent = E.t("doc.loading");
  E.onLanguage(function () {
    if (loaded) { renderMeta(loaded); document.title = loaded.title + " – " + E.t("brand"); }
    var mark = document.getElementById("highlight");
    if (mark) mark.setAttribute("aria-label", E.t("doc.highlight"));
  });
  E.api("/api/documents/" + encodeURIComponent(documentId)).then(render, fail);
})();
