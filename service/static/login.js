/* Sign-in: the form posts to /api/session with the form's CSRF token (from the page's meta tag,
 * the same value as its cookie), then goes to the page asked for (a path on this server only). */
(function () {
  "use strict";
  var E = window.Equass;
  var form = document.getElementById("login-form");
  var error = document.getElementById("login-error");
  var token = document.querySelector('meta[name="sign-in-token"]').getAttribute("content");

  function next() {
    var target = new URLSearchParams(window.location.search).get("next") || "/";
    return E.safeHref(target) && target.charAt(0) === "/" ? target : "/";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.hidden = true;
    fetch("/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ username: form.username.value, password: form.password.value })
    }).then(function (response) {
      if (response.ok) { window.location.href = next(); return; }
      var message = response.status === 429
        ? E.t("login.tooMany").replace("{seconds}", response.headers.get("Retry-After") || "60")
        : response.status === 403 ? E.t("login.stale") : E.t("login.wrong");
      error.textContent = message;
      error.hidden = false;
    }, function () {
      error.textContent = E.t("unreachable");
      error.hidden = false;
    });
  });
})();
