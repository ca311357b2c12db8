/* The offline app on the hub's pages (loaded only over HTTPS; hub/plugins/offline/__init__.py).

   Registers the worker, gives each quiz form a fresh attempt id, sends what the outbox kept
   (once: the hub keeps an attempt id once), brings saved courses up to date (a new version
   replaces the copy; a course the hub no longer has, or withdrew, is removed), and runs the
   "Save on this phone" and "Remove" buttons (keep_offline_app.html, offline.html). */
"use strict";
(function () {
  if (!window.isSecureContext || !("serviceWorker" in navigator) || !window.caches) return;
  var root = document.documentElement;

  document.querySelectorAll("input[data-attempt-id]").forEach(function (field) {
    field.value = crypto.randomUUID();
  });
  var back = document.querySelector("[data-offline-back]");
  var from = new URLSearchParams(location.search).get("course");
  if (back && from) back.href = "/courses/" + encodeURIComponent(from);

  function cookie(name) {
    var found = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return found ? decodeURIComponent(found[1]) : "";
  }

  /* Send what was kept away from the hub, oldest first; stop at the first that cannot go yet. */
  function flush() {
    return HubStore.all("outbox").then(function (entries) {
      entries.sort(function (a, b) { return a.at < b.at ? -1 : 1; });
      return entries.reduce(function (previous, entry) {
        return previous.then(function (going) {
          if (!going) return false;
          return fetch(entry.url, {
            method: "POST", body: entry.body, redirect: "manual", credentials: "same-origin",
            headers: { "content-type": "application/x-www-form-urlencoded",
                       "x-csrf-token": cookie("hub_csrf"), "x-hub-replay": "1" }
          }).then(function (response) {
            if (response.status >= 500) return false;
            return HubStore.remove("outbox", entry.id).then(function () { return true; });
          }, function () { return false; });
        });
      }, Promise.resolve(true));
    });
  }

  function plan(id) {
    return fetch("/api/v1/offline/courses/" + encodeURIComponent(id), { credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 404 || response.status === 410) return null;
        if (!response.ok) throw new Error("the hub answered " + response.status);
        return response.json();
      });
  }

  function staticFiles(cache, pages) {
    var found = {};
    return Promise.all(pages.map(function (page) {
      return cache.match(page, { ignoreVary: true }).then(function (saved) { return saved ? saved.text() : ""; })
        .then(function (html) {
          var pattern = /(?:src|href)="(\/static\/[^"]+)"/g, match;
          while ((match = pattern.exec(html))) found[match[1]] = true;
        });
    })).then(function () { return Object.keys(found); });
  }

  function save(id, withMedia, known) {
    var ready = known ? Promise.resolve(known) : plan(id);
    return ready.then(function (p) {
      if (!p) throw new Error("gone");
      var urls = p.pages.concat(p.pictures, withMedia ? p.media : []);
      var record = { id: p.id, version: p.version, title: p.title, media: withMedia, cache: p.cache, urls: urls,
                     size: p.size + (withMedia ? p.media_size : 0) };
      /* Noted first, so a save cut short is finished (refresh) or cleaned up (remove) later. */
      return HubStore.put("saved", record).then(function () { return caches.open(p.cache); }).then(function (cache) {
        var requests = urls.map(function (u) { return new Request(u, { headers: { "x-hub-saving": "1" } }); });
        return cache.addAll(requests).then(function () { return staticFiles(cache, p.pages); })
          .then(function (files) {
            record.urls = urls.concat(files);
            return HubStore.put("saved", record).then(function () { return cache.addAll(files); });
          });
      });
    });
  }

  /* Delete a course's copies, except files another saved course keeps too. */
  function remove(id, keep) {
    return HubStore.all("saved").then(function (saved) {
      var mine = saved.filter(function (s) { return s.id === id; })[0];
      if (!mine) return;
      var others = {};
      saved.forEach(function (s) { if (s.id !== id) s.urls.forEach(function (u) { others[u] = true; }); });
      (keep || []).forEach(function (u) { others[u] = true; });
      return caches.open(mine.cache).then(function (cache) {
        return Promise.all(mine.urls.filter(function (u) { return !others[u]; })
          .map(function (u) { return cache.delete(u, { ignoreVary: true }); }));
      }).then(function () { return HubStore.remove("saved", id); });
    });
  }

  /* On the hub: a newer version replaces a saved copy; a course gone from the hub leaves the phone. */
  function refresh() {
    return HubStore.all("saved").then(function (saved) {
      return Promise.all(saved.map(function (s) {
        return plan(s.id).then(function (p) {
          if (!p) return remove(s.id);
          return caches.open(s.cache).then(function (cache) { return cache.match(s.urls[0], { ignoreVary: true }); })
            .then(function (first) {
              if (p.version === s.version && first) return;
              return remove(s.id, p.pages.concat(p.pictures)).then(function () { return save(s.id, s.media, p); });
            });
        }).catch(function () { /* the hub cannot be reached: keep the copy */ });
      }));
    });
  }

  function size(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function show() {
    return Promise.all([HubStore.all("saved"), HubStore.all("outbox")]).then(function (found) {
      var saved = {};
      found[0].forEach(function (s) { saved[s.id] = s; });
      document.querySelectorAll("[data-offline-course]").forEach(function (block) {
        var id = block.getAttribute("data-offline-course");
        block.querySelector("[data-offline-unsupported]").hidden = true;
        block.querySelector("[data-offline-save]").hidden = !!saved[id];
        block.querySelector("[data-offline-remove]").hidden = !saved[id];
        var media = block.querySelector("[data-offline-media]");
        if (media && saved[id]) media.checked = saved[id].media;
        if (saved[id] && !block.querySelector("[data-offline-status]").textContent) {
          block.querySelector("[data-offline-status]").textContent = block.getAttribute("data-saved");
        }
      });
      var list = document.querySelector("[data-offline-saved-list]");
      if (list) {
        list.textContent = "";
        found[0].forEach(function (s) {
          var item = document.createElement("li"), link = document.createElement("a");
          var button = document.createElement("button");
          link.href = "/courses/" + encodeURIComponent(s.id);
          link.textContent = s.title;
          button.type = "button";
          button.className = "secondary";
          button.textContent = list.getAttribute("data-remove");
          button.setAttribute("aria-label", list.getAttribute("data-remove") + ": " + s.title);
          button.addEventListener("click", function () { remove(s.id).then(show); });
          var amount = document.createElement("bdi");  /* an English title or "63 KB" in an Arabic list */
          link.dir = "auto";
          amount.textContent = "(" + size(s.size) + ")";
          item.append(link, " ", amount, " ", button);
          list.append(item);
        });
        if (!found[0].length) list.insertAdjacentHTML("beforeend", "<li></li>");
        if (!found[0].length) list.lastChild.textContent = list.getAttribute("data-none");
        var waiting = document.querySelector("[data-offline-waiting]");
        waiting.textContent = found[1].length ? list.getAttribute("data-waiting").replace("#", found[1].length) : "";
      }
    });
  }

  document.querySelectorAll("[data-offline-course]").forEach(function (block) {
    var id = block.getAttribute("data-offline-course");
    var status = block.querySelector("[data-offline-status]");
    block.querySelector("[data-offline-save]").addEventListener("click", function () {
      var media = block.querySelector("[data-offline-media]");
      status.textContent = block.getAttribute("data-saving");
      navigator.serviceWorker.ready.then(function () { return save(id, !!(media && media.checked)); })
        .then(function () { status.textContent = block.getAttribute("data-saved"); },
              function () { return remove(id).then(function () { status.textContent = block.getAttribute("data-failed"); }); })
        .then(show);
    });
    block.querySelector("[data-offline-remove]").addEventListener("click", function () {
      remove(id).then(function () { status.textContent = block.getAttribute("data-removed"); }).then(show);
    });
  });

  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function (registration) {
    registration.update().catch(function () {});
    return navigator.serviceWorker.ready;
  }).then(function () {
    var onHub = document.querySelector('[data-when="hub"]:not([hidden])');
    return onHub ? flush().then(refresh) : null;
  }).catch(function () {}).then(show).then(function () {
    root.setAttribute("data-offline-app", "ready");
    // A newer worker that installed while this page's work went through the old one may still
    // be waiting: Chromium does not always try its activation again once that work is done.
    return navigator.serviceWorker.getRegistration("/").then(function (registration) {
      if (registration && registration.waiting) registration.waiting.postMessage("activate");
    });
  }).catch(function () {});
})();
