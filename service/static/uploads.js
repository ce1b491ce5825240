/* The coordinator's documents page: upload files (checked by the server by type and size before
 * anything reads them), follow the background ingest until the assistant serves the new index,
 * see each file's result with its reason, and withdraw a document. */
(function () {
  "use strict";
  var E = window.Equass;
  var el = E.el;
  var form = document.getElementById("upload-form");
  var input = document.getElementById("files");
  var button = document.getElementById("upload");
  var jobBox = document.getElementById("job");
  var progress = document.getElementById("job-progress");
  var stageText = document.getElementById("job-stage");
  var fileList = document.getElementById("job-files");
  var message = document.getElementById("job-message");
  var table = document.querySelector("#documents tbody");
  var accepts = document.getElementById("accepts");
  var info = null;

  function when(iso) {
    if (!iso) return "–";
    return new Date(iso).toLocaleString(E.lang() === "lt" ? "lt-LT" : "en-GB");
  }

  function load() {
    return E.api("/api/uploads").then(function (data) {
      info = data;
      input.setAttribute("accept", data.accepts.join(","));
      accepts.textContent = E.t("up.accepts").replace("{types}", data.accepts.join(", "))
        .replace("{size}", Math.round(data.max_file_bytes / 1e6)).replace("{count}", data.max_files);
      table.textContent = "";
      if (!data.documents.length) {
        table.appendChild(el("tr", {}, [el("td", { colspan: "4" }, [E.t("up.none")])]));
      }
      data.documents.forEach(function (d) {
        var withdraw = d.uploaded ? el("button", { type: "button", class: "secondary", onclick: function () {
          if (window.confirm(E.t("up.confirmWithdraw").replace("{title}", d.title))) {
            E.api("/api/uploads/documents/" + encodeURIComponent(d.document_id), { method: "DELETE" }).then(follow, failed);
          }
        } }, [E.t("up.withdraw")]) : null;
        table.appendChild(el("tr", { "data-document": d.document_id }, [
          el("td", {}, [el("a", { href: E.safeHref(d.url) }, [d.title])]),
          el("td", {}, [E.t("up.vis." + d.visibility)]),
          el("td", {}, [el("time", { datetime: d.indexed_at || "" }, [when(d.indexed_at)])]),
          el("td", {}, [withdraw])
        ]));
      });
    }, failed);
  }

  function failed(error) {
    jobBox.hidden = false;
    message.textContent = (error && error.message) || E.t("unreachable");
    button.disabled = false;
  }

  function show(job) {
    jobBox.hidden = false;
    progress.max = Math.max(job.total, 1);
    progress.value = job.state === "done" ? progress.max : job.done;
    var stage = E.t("up.stage." + (job.state === "running" ? job.stage : job.state));
    stageText.textContent = job.state === "running" && job.total ? stage + " " + job.done + "/" + job.total : stage;
    fileList.textContent = "";
    job.files.forEach(function (f) {
      fileList.appendChild(el("li", { class: "result-" + f.result }, [
        el("strong", {}, [f.file || f.document_id]), " – ", E.t("up.result." + f.result),
        f.reason ? el("span", { class: "reason" }, [": " + f.reason]) : null
      ]));
    });
    message.textContent = job.state === "failed" ? job.message : "";
  }

  function follow(job) {
    show(job);
    if (job.state === "done" || job.state === "failed") {
      button.disabled = false;
      load();
      return;
    }
    window.setTimeout(function () {
      E.api("/api/uploads/jobs/" + encodeURIComponent(job.id)).then(follow, failed);
    }, 500);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!input.files.length) return;
    var data = new FormData();
    Array.prototype.forEach.call(input.files, function (file) { data.append("files", file, file.name); });
    data.append("visibility", document.getElementById("visibility").value);
    button.disabled = true;
    E.api("/api/uploads", { method: "POST", form: data }).then(function (job) {
      form.reset();
      follow(job);
    }, failed);
  });

  E.onLanguage(function () { if (info) load(); });
  load();
})();
