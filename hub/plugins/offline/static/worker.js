/* Commons Hub's service worker, served at /sw.js by hub/plugins/offline/routes.py.

   Pages are fetched from the hub first; when it cannot be reached, the copy saved on the phone is
   shown. Pictures and files are immutable (their address carries their hash), so a saved copy is
   used first. A quiz answer or a "done" sent while the hub cannot be reached is kept in the
   outbox (IndexedDB) and sent again by offline.js on the next visit; each quiz form carries an
   attempt id, so the hub keeps it once. The shell cache is named with this worker's version;
   on activate, every other Commons Hub cache but the saved courses' is deleted. */
"use strict";
var VERSION = "__VERSION__";
var SHELL = "commons-hub-shell-" + VERSION;
var COURSES = "__COURSES__";
var SHELL_URLS = __SHELL_URLS__;
var PAGE_WAIT_MS = 4000;   // after this, a page the hub has not answered comes from the phone
var POST_WAIT_MS = 8000;
var KEEPABLE = /^\/courses\/[^/]+\/[^/]+\/(quiz|done)$/;
importScripts("__STORE__");

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(SHELL_URLS); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("commons-hub-") === 0 && name !== SHELL && name !== COURSES;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  if (event.data === "version") event.source.postMessage({ version: VERSION });
  if (event.data === "activate") self.skipWaiting();  // offline.js, for a worker left waiting
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname === "/sw.js") return;
  if (request.method === "POST") {
    if (KEEPABLE.test(url.pathname) && !request.headers.has("x-hub-replay")) event.respondWith(postOrKeep(request));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") event.respondWith(pageFirstFromHub(request, url));
  else if (/^\/(static|media)\//.test(url.pathname)) event.respondWith(savedFirst(request));
});

function within(ms, promise) {
  return new Promise(function (ok, fail) {
    var timer = setTimeout(function () { fail(new Error("the hub did not answer")); }, ms);
    promise.then(function (value) { clearTimeout(timer); ok(value); },
                 function (error) { clearTimeout(timer); fail(error); });
  });
}

/* A page the phone has a copy of waits for the hub PAGE_WAIT_MS at most, and the copy is kept up
   to date; any other page waits for the hub as long as it takes (a slow report is not "offline"),
   and when the hub cannot be reached the list of what is on the phone is shown instead. */
function pageFirstFromHub(request, url) {
  var shell = url.pathname === "/offline" || url.pathname === "/offline/kept";
  var name = shell ? SHELL : COURSES;
  return caches.open(name).then(function (cache) {
    return cache.match(url.pathname, { ignoreVary: true }).then(function (saved) {
      var going = fetch(request);
      return (saved ? within(PAGE_WAIT_MS, going) : going).then(function (response) {
        if (saved && response.ok && url.search === "") cache.put(url.pathname, response.clone());
        return response;
      }).catch(function () {
        if (saved) return asPhoneCopy(saved);
        return caches.open(SHELL).then(function (c) { return c.match("/offline", { ignoreVary: true }); })
          .then(function (list) { return list ? asPhoneCopy(list) : Response.error(); });
      });
    });
  });
}

/* A page shown from the phone says so in its footer (offline_footer.html has both lines). */
function asPhoneCopy(response) {
  return response.text().then(function (html) {
    html = html.replace(/data-when="hub"/g, 'data-when="hub" hidden')
      .replace(/data-when="phone" hidden/g, 'data-when="phone"');
    return new Response(html, { status: 200, headers: { "content-type": "text/html; charset=utf-8" } });
  });
}

function savedFirst(request) {
  return caches.match(request.url, { ignoreVary: true }).then(function (saved) {
    if (!saved) return fetch(request);
    var range = request.headers.get("range");
    return range ? part(saved, range) : saved;
  });
}

/* A video or audio asks for parts of its file: answer from the saved copy as the hub would. */
function part(response, range) {
  return response.blob().then(function (blob) {
    var match = /bytes=(\d*)-(\d*)/.exec(range);
    if (!match) return new Response(blob, { status: 200, headers: response.headers });
    var start = match[1] ? Number(match[1]) : Math.max(blob.size - Number(match[2]), 0);
    var end = match[1] && match[2] ? Math.min(Number(match[2]), blob.size - 1) : blob.size - 1;
    if (start >= blob.size) return new Response(null, { status: 416, headers: { "content-range": "bytes */" + blob.size } });
    return new Response(blob.slice(start, end + 1), { status: 206, headers: {
      "content-type": response.headers.get("content-type") || "application/octet-stream",
      "content-range": "bytes " + start + "-" + end + "/" + blob.size,
      "content-length": String(end - start + 1), "accept-ranges": "bytes" } });
  });
}

function postOrKeep(request) {
  var url = new URL(request.url);
  return request.clone().text().then(function (body) {
    return within(POST_WAIT_MS, fetch(request)).catch(function () {
      var entry = { id: self.crypto.randomUUID(), url: url.pathname, body: body, at: new Date().toISOString() };
      return HubStore.put("outbox", entry).then(function () {
        var course = url.pathname.split("/")[2];
        return Response.redirect("/offline/kept?course=" + encodeURIComponent(course), 303);
      });
    });
  });
}
