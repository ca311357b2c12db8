// Starts h5p-standalone on this page's activity and tells the lesson page (the parent) its height
// and each score the activity reports: an xAPI "answered" or "completed" statement of the activity
// itself (not of one of its sub-questions) with result.score. Inline, allowed by its hash (routes.py).
(function () {
  // The sandbox (no allow-same-origin) gives this page no storage, and H5P's core reads
  // localStorage as it starts: it gets a store in memory that is gone with the page.
  ["localStorage", "sessionStorage"].forEach(function (name) {
    try { return window[name] && undefined; } catch (error) { /* refused: replaced below */ }
    var kept = {};
    Object.defineProperty(window, name, { configurable: true, value: {
      getItem: function (key) { return Object.prototype.hasOwnProperty.call(kept, key) ? kept[key] : null; },
      setItem: function (key, value) { kept[key] = String(value); },
      removeItem: function (key) { delete kept[key]; },
      clear: function () { kept = {}; },
      key: function (i) { return Object.keys(kept)[i] || null; },
      get length() { return Object.keys(kept).length; }
    } });
  });
  var root = document.getElementById("h5p");
  var player = root.getAttribute("data-player");
  var options = {
    h5pJsonPath: root.getAttribute("data-content").replace(/\/$/, ""),
    frameJs: player + "frame.bundle.js",
    frameCss: player + "styles/h5p.css",
    embedType: "div",  // this page is the activity's sandbox: an inner frame would get an origin of its own
    frame: false, copyright: false, export: false, embed: false, icon: false, fullScreen: false
  };
  function report(event) {
    var statement = event.data && event.data.statement;
    var verb = statement && statement.verb && statement.verb.id || "";
    var score = statement && statement.result && statement.result.score;
    if (!/\/(answered|completed)$/.test(verb) || !score || typeof score.raw !== "number") { return; }
    if (/[?&]subContentId=/.test(statement.object && statement.object.id || "")) { return; }
    window.parent.postMessage({ h5p: "score", score: score.raw, max: score.max }, "*");
  }
  function tellHeight() {  // the lesson page fits its frame to the activity: no scrolling inside it
    var height = Math.ceil(document.body.getBoundingClientRect().height);  // body: a flow root
    window.parent.postMessage({ h5p: "height", height: height }, "*");
  }
  new H5PStandalone.H5P(root, options).then(function () {
    H5P.externalDispatcher.on("xAPI", report);
    if (window.ResizeObserver) { new ResizeObserver(tellHeight).observe(document.body); }
    tellHeight();
  }).catch(function (error) {
    root.textContent = root.getAttribute("data-failed");
    console.error(error);
  });
})();
