/* Coverage of the ten EQUASS principles for quality coordinators: the gaps per organisation, a table
 * (documents × principles, from GET /api/coverage) whose cells say stiprus / dalinis / nėra and open
 * the quote each rests on, the documents covering a chosen principle, and the questions staff asked
 * that found no answer (GET /api/unanswered), grouped by the principle they most resemble. */
(function () {
  "use strict";
  var E = window.Equass;
  var el = E.el;

  var table = document.getElementById("heatmap");
  var scroller = table.parentNode;
  var scrollHint = document.getElementById("scroll-hint");
  var gapsBox = document.getElementById("gaps");
  var statusBox = document.getElementById("coverage-status");
  var cellDetail = document.getElementById("cell-detail");
  var detail = document.getElementById("principle-detail");
  var unansweredBox = document.getElementById("unanswered");
  var data = null;
  var unanswered = null;
  var selected = null;
  var LEVEL_CLASS = { strong: "cell-strong", partial: "cell-weak", none: "cell-none" };
  var LEVEL_KEY = { strong: "cov.levelStrong", partial: "cov.partial", none: "cov.levelNone" };

  function query(organization) {
    return organization ? "?organization=" + encodeURIComponent(organization) : "";
  }

  function showCell(doc, principle, cell) {
    cellDetail.hidden = false;
    cellDetail.textContent = "";
    cellDetail.appendChild(el("h2", { tabindex: "-1" }, [doc.title + " – " + E.principleName(principle) + ": " +
      E.t(LEVEL_KEY[cell.level]) + " (" + E.number(cell.strength) + ")"]));
    if (cell.quote) {
      cellDetail.appendChild(el("p", {}, [E.t("cov.evidence") + ":"]));
      cellDetail.appendChild(E.quoteFigure(cell.quote));
    } else {
      cellDetail.appendChild(el("p", {}, [E.t("cov.noDocs")]));
    }
    cellDetail.querySelector("h2").focus();
  }

  function renderTable() {
    var caption = table.querySelector("caption");
    table.textContent = "";
    table.appendChild(caption);
    var headRow = el("tr", {}, [el("th", { scope: "col" }, [E.t("cov.document")])]);
    data.principles.forEach(function (p) {
      headRow.appendChild(el("th", { scope: "col" }, [
        el("button", { type: "button", class: "principle-button", onclick: function () { showPrinciple(p.id); } }, [E.principleName(p)])]));
    });
    table.appendChild(el("thead", {}, [headRow]));
    var cells = {};
    data.cells.forEach(function (c) { cells[c.document_id + "\u0000" + c.principle] = c; });
    var body = el("tbody");
    data.documents.forEach(function (d) {
      var row = el("tr", {}, [el("th", { scope: "row" }, [
        el("a", { href: "/documents/" + encodeURIComponent(d.document_id) }, [d.title]),
        d.organization ? el("small", {}, [d.organization]) : null])]);
      data.principles.forEach(function (p) {
        var cell = cells[d.document_id + "\u0000" + p.id];
        var label = d.title + " – " + E.principleName(p) + ": " + E.t(LEVEL_KEY[cell.level]) + " (" + E.number(cell.strength) + ")";
        row.appendChild(el("td", { class: LEVEL_CLASS[cell.level], "data-strength": cell.strength }, [
          el("button", { type: "button", class: "cell-button", title: label, "aria-label": label,
            onclick: function () { showCell(d, p, cell); } }, [E.t(LEVEL_KEY[cell.level])])]));
      });
      body.appendChild(row);
    });
    table.appendChild(body);
    updateScrollHint();
  }

  /* On a narrow screen the table scrolls inside its box: say so, since nothing else shows it. */
  function updateScrollHint() {
    scrollHint.hidden = scroller.scrollWidth <= scroller.clientWidth + 1;
  }

  function renderGaps() {
    gapsBox.textContent = "";
    var byOrganization = {};
    data.gaps.forEach(function (g) { (byOrganization[g.organization] = byOrganization[g.organization] || []).push(g); });
    var names = Object.keys(byOrganization).sort(function (a, b) { return a.localeCompare(b, "lt"); });
    if (!names.length) gapsBox.appendChild(el("p", {}, [E.t("cov.noGaps")]));
    var list = el("dl");
    names.forEach(function (organization) {
      list.appendChild(el("dt", {}, [organization]));
      ["missing", "weak"].forEach(function (status) {
        var gaps = byOrganization[organization].filter(function (g) { return g.status === status; });
        if (!gaps.length) return;
        var principles = gaps.map(function (g) {
          var name = E.lang() === "en" ? g.name_en : g.name_lt;
          return status === "weak" ? name + " (" + E.number(g.best_strength) + ")" : name;
        }).join(", ");
        list.appendChild(el("dd", { class: "gap-" + status }, [
          el("strong", {}, [E.t(status === "missing" ? "cov.missing" : "cov.weakGap") + ": "]), principles]));
      });
    });
    if (names.length) gapsBox.appendChild(list);
    if (data.not_assessed && data.not_assessed.length) {
      gapsBox.appendChild(el("p", { class: "not-assessed" }, [E.t("cov.notAssessed") + " " +
        data.not_assessed.map(function (n) { return n.organization; }).join("; ")]));
    }
  }

  function renderUnanswered() {
    unansweredBox.textContent = "";
    if (!unanswered.groups.length) {
      unansweredBox.appendChild(el("p", {}, [E.t("un.none")]));
      return;
    }
    unanswered.groups.forEach(function (group) {
      var section = el("section", { class: "unanswered-group" }, [
        el("h3", {}, [group.principle ? E.principleName(group.principle) : E.t("un.other")])]);
      section.appendChild(el("ul", {}, group.questions.map(function (q) {
        var reasons = q.reasons.map(function (r) { return E.t(r === "refused" ? "un.refused" : "un.unhelpful"); }).join(", ");
        var details = [reasons, q.count > 1 ? q.count + " " + E.t("un.times") : null,
          E.currentOrganization() ? null : q.organization].filter(Boolean).join(" · ");
        return el("li", {}, [el("span", { class: "unanswered-question" }, [q.question]),
          el("span", { class: "source-details" }, [details])]);
      })));
      unansweredBox.appendChild(section);
    });
  }

  function render() {
    renderTable();
    renderGaps();
  }

  function showPrinciple(id) {
    selected = id;
    detail.hidden = false;
    detail.setAttribute("aria-busy", "true");
    E.api("/api/principles/" + encodeURIComponent(id) + query(E.currentOrganization())).then(function (principle) {
      detail.textContent = "";
      detail.appendChild(el("h2", { tabindex: "-1" }, [E.t("cov.details") + ": " + E.principleName(principle)]));
      if (principle.summary) detail.appendChild(E.quoteFigure(principle.summary));
      if (!principle.documents.length) detail.appendChild(el("p", {}, [E.t("cov.noDocs")]));
      principle.documents.forEach(function (d) {
        detail.appendChild(el("h3", {}, [d.title + " (" + E.t("cov.strength") + " " + E.number(d.strength) + ")"]));
        d.quotes.forEach(function (q) { detail.appendChild(E.quoteFigure(q)); });
      });
      detail.setAttribute("aria-busy", "false");
      detail.querySelector("h2").focus();
    }, function (error) {
      detail.textContent = "";
      detail.appendChild(el("p", { class: "error-text", role: "alert" }, [E.errorMessage(error)]));
      detail.setAttribute("aria-busy", "false");
    });
  }

  function load(organization) {
    statusBox.hidden = false;
    cellDetail.hidden = true;
    document.getElementById("download-csv").href = "/api/coverage.csv" + query(organization);
    document.getElementById("download-xlsx").href = "/api/coverage.xlsx" + query(organization);
    document.getElementById("unanswered-csv").href = "/api/unanswered.csv" + query(organization);
    E.api("/api/coverage" + query(organization)).then(function (coverage) {
      data = coverage;
      statusBox.hidden = true;
      render();
      if (selected) showPrinciple(selected);
    }, function () {
      statusBox.textContent = "";
      statusBox.appendChild(el("span", { class: "error-text" }, [E.t("unreachable")]));
    });
    E.api("/api/unanswered" + query(organization)).then(function (found) {
      unanswered = found;
      renderUnanswered();
    }, function () {
      unansweredBox.textContent = "";
      unansweredBox.appendChild(el("p", { class: "error-text" }, [E.t("unreachable")]));
    });
  }

  window.addEventListener("resize", function () { if (data) updateScrollHint(); });
  E.onLanguage(function () {
    if (data) render();
    if (unanswered) renderUnanswered();
    if (selected) showPrinciple(selected);
  });
  E.organizationPicker(load).then(load);
})();
