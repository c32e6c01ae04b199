// Budget page actions without a full reload: a form marked data-live is posted with fetch and the
// CSRF header, and the server's fragment replaces #live. Without JavaScript the same forms post
// normally and the server redirects back to the page.
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
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-live")) { return; }
    event.preventDefault();
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
          var p = doc.querySelector("main p");
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
