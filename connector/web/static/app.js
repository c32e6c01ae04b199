// Budget page actions without a full reload: a form marked data-live is posted with fetch and the
// CSRF header, and the server's fragment replaces #live. Without JavaScript the same forms post
// normally and the server redirects back to the page (or answers with an error page that says
// what to do). A form marked data-confirm asks before it is sent.
"use strict";
(function () {
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  function flash(text) {
    var box = document.getElementById("flash");
    if (!box) { return; }
    box.textContent = text || "";
    box.hidden = !text;
  }
  // A choice needs at least one ticked entry: say so at once instead of posting an empty choice.
  function nothingTicked(form, submitter) {
    var action = submitter && submitter.name === "action" ? submitter.value : "";
    if (action !== "subtract" && action !== "exclude") { return false; }
    return form.querySelectorAll('input[name="entry_id"]:checked').length === 0;
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (!form.hasAttribute("data-live")) { return; }
    event.preventDefault();
    var hint = form.querySelector("[data-hint]");
    if (hint) { hint.hidden = true; }
    if (nothingTicked(form, event.submitter)) {
      var text = "Tick at least one entry first, then press " + event.submitter.textContent.trim() + ".";
      if (hint) { hint.textContent = text; hint.hidden = false; } else { flash(text); }
      return;
    }
    var data = new FormData(form, event.submitter);
    var live = document.getElementById("live");
    live.setAttribute("aria-busy", "true");
    // form.action would be the control named "action", not the URL: read the attribute.
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: new URLSearchParams(data),
      headers: { "X-CSRF-Token": csrf(), "X-Requested-With": "fetch", "Accept": "text/html" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.text().then(function (body) {
        if (response.ok) {
          live.innerHTML = body;
          flash("");
        } else {
          var doc = new DOMParser().parseFromString(body, "text/html");
          var p = doc.querySelector("main .detail") || doc.querySelector("main p");
          flash(p ? p.textContent : "The action failed (" + response.status + "); reload the page.");
        }
      });
    }).catch(function () {
      flash("The server did not answer; check your connection and reload the page.");
    }).finally(function () {
      live.removeAttribute("aria-busy");
    });
  });
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.hasAttribute || !box.hasAttribute("data-select-all")) { return; }
    box.closest("form").querySelectorAll('input[name="entry_id"]').forEach(function (c) { c.checked = box.checked; });
  });
  document.addEventListener("click", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-print")) { window.print(); }
  });
})();
