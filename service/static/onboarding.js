/* Ten onboarding steps (GET /api/onboarding): each principle, what it means, and the organisation's
 * documents that put it into practice. Which steps were read is kept in localStorage per organisation. */
(function () {
  "use strict";
  var E = window.Equass;
  var el = E.el;

  var stepsBox = document.getElementById("steps");
  var statusBox = document.getElementById("onb-status");
  var progress = document.getElementById("onb-progress");
  var progressText = document.getElementById("onb-progress-text");
  var steps = null;
  var organization = null;

  function progressKey() { return "equass-onboarding:" + (organization || ""); }

  function doneSteps() {
    try {
      var saved = JSON.parse(E.stored("localStorage", progressKey()) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch (e) { return []; }
  }

  function setDone(step, done) {
    var current = doneSteps().filter(function (n) { return n !== step; });
    if (done) current.push(step);
    E.store("localStorage", progressKey(), JSON.stringify(current));
    updateProgress();
  }

  function updateProgress() {
    var count = doneSteps().filter(function (n) { return steps && steps.some(function (s) { return s.step === n; }); }).length;
    var total = steps ? steps.length : 10;
    progress.max = total;
    progress.value = count;
    progressText.textContent = count + " " + E.t("onb.of") + " " + total;
  }

  /* Each step folds; the first step not yet read starts open. */
  function stepNode(step, done, open) {
    var checkboxId = "step-done-" + step.step;
    var checkbox = el("input", { type: "checkbox", id: checkboxId, checked: done });
    var doneMark = el("span", { class: "done-mark", hidden: !done }, ["✓ " + E.t("onb.done")]);
    var item = el("details", { open: open }, [
      el("summary", {}, [el("h2", {}, [step.step + ". " + E.principleName(step.principle)]), doneMark])
    ]);
    /* The organisation's own documents first, then what EQUASS says, then the law it rests on. */
    var own = step.documents.filter(function (d) { return d.role === "own"; });
    item.appendChild(el("h3", {}, [E.t("onb.own")]));
    if (!organization) item.appendChild(el("p", { class: "hint-box" }, [E.t("onb.chooseOrg")]));
    else if (!own.length) item.appendChild(el("p", {}, [E.t("onb.noOwn")]));
    own.forEach(function (d) { item.appendChild(E.quoteFigure(d.quote)); });
    step.documents.filter(function (d) { return d.role === "equass" && d.quote; }).forEach(function (d) {
      item.appendChild(el("h3", {}, [E.t("onb.equass")]));
      item.appendChild(E.quoteFigure(d.quote));
    });
    step.documents.filter(function (d) { return d.role === "law"; }).forEach(function (d) {
      item.appendChild(el("h3", {}, [E.t("onb.law")]));
      item.appendChild(E.quoteFigure(d.quote));
    });
    if (step.questions.length) {
      item.appendChild(el("h3", {}, [E.t("onb.ask")]));
      item.appendChild(el("ul", { class: "questions" }, step.questions.map(function (q) {
        return el("li", {}, [el("a", { href: "/?q=" + encodeURIComponent(q.question) }, [q.question])]);
      })));
    }
    item.appendChild(el("label", { class: "done-toggle", for: checkboxId }, [checkbox, E.t("onb.done")]));
    var wrapper = el("li", { class: "step" + (done ? " done" : ""), id: "step-" + step.step }, [item]);
    checkbox.addEventListener("change", function () {
      wrapper.classList.toggle("done", checkbox.checked);
      doneMark.hidden = !checkbox.checked;
      setDone(step.step, checkbox.checked);
    });
    return wrapper;
  }

  function render() {
    var done = doneSteps();
    var firstOpen = steps.find(function (step) { return done.indexOf(step.step) < 0; });
    stepsBox.textContent = "";
    steps.forEach(function (step) {
      stepsBox.appendChild(stepNode(step, done.indexOf(step.step) >= 0, step === firstOpen));
    });
    updateProgress();
  }

  function load(value) {
    organization = value;
    statusBox.hidden = false;
    var query = organization ? "?organization=" + encodeURIComponent(organization) : "";
    E.api("/api/onboarding" + query).then(function (data) {
      steps = data.steps;
      statusBox.hidden = true;
      render();
    }, function () {
      statusBox.textContent = "";
      statusBox.appendChild(el("span", { class: "error-text" }, [E.t("unreachable")]));
    });
  }

  E.onLanguage(function () { if (steps) render(); else updateProgress(); });
  E.organizationPicker(load).then(load);
})();
