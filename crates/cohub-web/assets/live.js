// Live updates, added on top of pages that work without JavaScript. An element with
// data-live="/path" listens to that server-sent event stream (cohub's subscriptions, as the
// signed-in member); on each event the page is fetched again and every element with
// data-live-region is replaced by its new version, and the change is announced politely.
(function () {
  "use strict";
  if (!("EventSource" in window) || !("fetch" in window)) return;
  document.querySelectorAll("[data-live]").forEach(function (el) {
    var source = new EventSource(el.getAttribute("data-live"));
    var announce = document.getElementById("live-announcement");
    source.addEventListener("change", function (event) {
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html");
          document.querySelectorAll("[data-live-region]").forEach(function (region) {
            var next = fresh.getElementById(region.id);
            if (next && !region.contains(document.activeElement)) {
              region.replaceWith(next);
            }
          });
          if (announce) {
            announce.textContent = event.data || "This page was updated.";
          }
        });
    });
    source.addEventListener("end", function () { source.close(); });
  });
})();
