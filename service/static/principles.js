/* Coverage of the ten EQUASS principles: a heatmap (documents × principles, from GET /api/coverage),
 * the gaps per organisation, and, for a chosen principle, the documents that cover it with quotes. */
(function () {
  "use strict";
  var E = window.Equass;
  var el = E.el;

  var table = document.getElementById("heatmap");
  var gapsBox = document.getElementById("gaps");
  var statusBox = document.getElementById("coverage-status");
  var detail = document.getElementById("principle-detail");
  var data = null;
  var selected = null;

  function level(strength) {
    if (strength >= data.strong) return "strong";
    if (strength >= data.threshold) return "weak";
    return "none";
  }

  function renderTable() {
    var caption = table.querySelector("caption");
    table.textContent = "";
    table.appendChild(caption);
    var headRow = el("tr", {}, [el("th", { scope: "col" }, [E.t("cov.document")])]);
    data.principles.forEach(function (p) {
      headRow.appendChild(el("th", { scope: "col" }, [
        el("button", { type: "button", onclick: function () { showPrinciple(p.id); } }, [E.principleName(p)])]));
    });
    table.appendChild(el("thead", {}, [headRow]));
    var strengths = {};
    data.cells.forEach(function (c) { strengths[c.document_id + "\u0000" + c.principle] = c.strength; });
    var body = el("tbody");
    data.documents.forEach(function (d) {
      var row = el("tr", {}, [el("th", { scope: "row" }, [
        el("a", { href: "/documents/" + encodeURIComponent(d.document_id) }, [d.title]),
        d.organization ? el("small", {}, [d.organization]) : null])]);
      data.principles.forEach(function (p) {
        var strength = strengths[d.document_id + "\u0000" + p.id] || 0;
        var kind = level(strength);
        row.appendChild(el("td", {
          class: "cell-" + kind,
          title: d.title + " – " + E.principleName(p) + ": " + E.t("cov." + kind) + " (" + strength.toFixed(2) + ")"
        }, [kind === "none" ? "–" : strength.toFixed(2)]));
      });
      body.appendChild(row);
    });
    table.appendChild(body);
  }

  function renderGaps() {
    gapsBox.textContent = "";
    var byOrganization = {};
    data.gaps.forEach(function (g) { (byOrganization[g.organization] = byOrganization[g.organization] || []).push(g); });
    var names = Object.keys(byOrganization).sort(function (a, b) { return a.localeCompare(b, "lt"); });
    if (!names.length) {
      gapsBox.appendChild(el("p", {}, [E.t("cov.noGaps")]));
      return;
    }
    var list = el("dl");
    names.forEach(function (organization) {
      list.appendChild(el("dt", {}, [organization]));
      ["missing", "weak"].forEach(function (status) {
        var gaps = byOrganization[organization].filter(function (g) { return g.status === status; });
        if (!gaps.length) return;
        var principles = gaps.map(function (g) {
          var name = E.lang() === "en" ? g.name_en : g.name_lt;
          return status === "weak" ? name + " (" + g.best_strength.toFixed(2) + ")" : name;
        }).join(", ");
        list.appendChild(el("dd", { class: "gap-" + status }, [
          el("strong", {}, [E.t(status === "missing" ? "cov.missing" : "cov.weakGap") + ": "]), principles]));
      });
    });
    gapsBox.appendChild(list);
  }

  function render() {
    renderTable();
    renderGaps();
  }

  function showPrinciple(id) {
    selected = id;
    detail.hidden = false;
    detail.setAttribute("aria-busy", "true");
    var query = E.currentOrganization() ? "?organization=" + encodeURIComponent(E.currentOrganization()) : "";
    E.api("/api/principles/" + encodeURIComponent(id) + query).then(function (principle) {
      detail.textContent = "";
      detail.appendChild(el("h2", { tabindex: "-1" }, [E.t("cov.details") + ": " + E.principleName(principle)]));
      if (principle.summary) detail.appendChild(E.quoteFigure(principle.summary));
      if (!principle.documents.length) detail.appendChild(el("p", {}, [E.t("cov.noDocs")]));
      principle.documents.forEach(function (d) {
        detail.appendChild(el("h3", {}, [d.title + " (" + E.t("cov.strength") + " " + d.strength.toFixed(2) + ")"]));
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
    var query = organization ? "?organization=" + encodeURIComponent(organization) : "";
    E.api("/api/coverage" + query).then(function (coverage) {
      data = coverage;
      statusBox.hidden = true;
      render();
      if (selected) showPrinciple(selected);
    }, function () {
      statusBox.textContent = "";
      statusBox.appendChild(el("span", { class: "error-text" }, [E.t("unreachable")]));
    });
  }

  E.onLanguage(function () {
    if (data) render();
    if (selected) showPrinciple(selected);
  });
  E.organizationPicker(load).then(load);
})();
