// The lesson page's side of an H5P activity: the player page in the sandboxed frame posts each
// score the activity reports; only messages from that frame are taken, checked, and kept through
// the hub's API as a quiz attempt (hub/plugins/h5p/routes.py); the frame takes the height it asks for.
// The status line says whether a score was kept.
// (A <noscript> is not enough: a browser with scripts switched off may still parse as if on.)
(function () {
  var frame = document.querySelector("iframe[data-h5p-score]");
  var status = document.getElementById("h5p-status");
  if (!frame || !status) { return; }
  document.getElementById("h5p-needs-js").hidden = true;  // shown to browsers that run no script
  function cookie(name) {
    var found = document.cookie.split("; ").filter(function (c) { return c.indexOf(name + "=") === 0; })[0];
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }
  function newId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID()
      : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
        return (c ^ (Math.random() * 16 >> c / 4)).toString(16);
      });
  }
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source !== frame.contentWindow || !data) { return; }
    if (data.h5p === "height" && typeof data.height === "number") {  // within reason: a page, not a wall
      var borders = frame.offsetHeight - frame.clientHeight;
      frame.style.blockSize = Math.min(Math.max(Math.ceil(data.height), 200), 4000) + borders + "px";
      return;
    }
    if (data.h5p !== "score") { return; }
    var score = data.score, max = data.max;
    if (typeof score !== "number" || typeof max !== "number" || !(max > 0) || score < 0 || score > max) { return; }
    fetch(frame.getAttribute("data-h5p-score"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": cookie("hub_csrf") },
      body: JSON.stringify({ score: score, max: max, attempt_id: newId() })
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      status.textContent = status.getAttribute("data-saved").replace("{score}", score).replace("{total}", max);
    }).catch(function () {
      status.textContent = status.getAttribute("data-not-saved");
    });
  });
})();
