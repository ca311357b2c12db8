/* What the phone keeps about the hub, shared by the pages (offline.js) and the worker (/sw.js):
   "saved" holds each saved course (id, version, the addresses kept), "outbox" the answers and
   completions made away from the hub, waiting to be sent. */
"use strict";
var HubStore = (function () {
  function open() {
    return new Promise(function (ok, fail) {
      var request = indexedDB.open("commons-hub", 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("saved", { keyPath: "id" });
        request.result.createObjectStore("outbox", { keyPath: "id" });
      };
      request.onsuccess = function () { ok(request.result); };
      request.onerror = function () { fail(request.error); };
    });
  }
  function run(store, mode, action) {
    return open().then(function (db) {
      return new Promise(function (ok, fail) {
        var tx = db.transaction(store, mode);
        var request = action(tx.objectStore(store));
        tx.oncomplete = function () { db.close(); ok(request.result); };
        tx.onerror = tx.onabort = function () { db.close(); fail(tx.error); };
      });
    });
  }
  return {
    all: function (store) { return run(store, "readonly", function (s) { return s.getAll(); }); },
    put: function (store, value) { return run(store, "readwrite", function (s) { return s.put(value); }); },
    remove: function (store, key) { return run(store, "readwrite", function (s) { return s.delete(key); }); }
  };
})();
