// Listening with the phone's own voice (Web Speech API) where it has one for the text's language:
// each listen control gets a Listen button that reads its text sentence by sentence, highlighting
// the sentence being read. Where the phone has no such voice, or a person recorded the text, the
// page keeps the hub's <audio> player, which is also what a phone without JavaScript gets.
(function () {
  "use strict";
  var synth = window.speechSynthesis;
  if (!synth || !window.SpeechSynthesisUtterance) return;
  var SKIP = ".listen, .meta, .crumbs, nav, form, .result, video, audio, object, .downloads, button, script";
  var BLOCKS = "p, li, h1, h2, h3, h4, h5, h6, legend, label, td, th, dd, dt, blockquote, summary, a";
  var SENTENCE = /[^.!?؟…\n]+[.!?؟…]*\s*/g;
  var current = null;

  function voiceFor(lang) {
    var wanted = (lang || "").toLowerCase();
    var voices = synth.getVoices() || [];
    var base = null;
    for (var i = 0; i < voices.length; i++) {
      var have = (voices[i].lang || "").toLowerCase().replace("_", "-");
      if (have === wanted) return voices[i];
      if (!base && have.split("-")[0] === wanted.split("-")[0]) base = voices[i];
    }
    return base;
  }

  function skipped(node, root) {
    for (var el = node.parentElement; el && el !== root; el = el.parentElement) {
      if (el.matches(SKIP)) return true;
    }
    return false;
  }

  // The sentences of an element, each as a DOM range (across inline markup) and its text.
  function sentences(root) {
    var blocks = [];
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.data.trim() || skipped(node, root)) continue;
      var block = node.parentElement.closest(BLOCKS) || root;
      var last = blocks[blocks.length - 1];
      if (!last || last.block !== block) blocks.push((last = { block: block, nodes: [] }));
      last.nodes.push(node);
    }
    var found = [];
    blocks.forEach(function (b) {
      var text = "", starts = [];
      b.nodes.forEach(function (n) { starts.push(text.length); text += n.data; });
      var where = function (offset) {
        var i = starts.length - 1;
        while (i > 0 && starts[i] > offset) i--;
        return { node: b.nodes[i], offset: Math.min(offset - starts[i], b.nodes[i].data.length) };
      };
      var match;
      SENTENCE.lastIndex = 0;
      while ((match = SENTENCE.exec(text))) {
        var said = match[0].trim();
        if (!said || !/[\p{L}\p{N}]/u.test(said)) continue;
        var range = document.createRange();
        var from = where(match.index), to = where(match.index + match[0].trimEnd().length);
        range.setStart(from.node, from.offset);
        range.setEnd(to.node, to.offset);
        found.push({ text: said, range: range, block: b.block });
      }
    });
    return found;
  }

  function mark(item) {
    document.querySelectorAll(".reading").forEach(function (el) { el.classList.remove("reading"); });
    if (window.CSS && CSS.highlights && window.Highlight) {
      if (item) CSS.highlights.set("listen-reading", new Highlight(item.range));
      else CSS.highlights.delete("listen-reading");
    }
    if (item) item.block.classList.add("reading");
  }

  function stop() {
    if (current) {
      current.cancelled = true;
      current.button.textContent = current.button.dataset.listen;
      current.button.setAttribute("aria-pressed", "false");
    }
    current = null;
    synth.cancel();
    mark(null);
  }

  function read(button, items, voice) {
    stop();
    var reading = (current = { button: button, cancelled: false });
    button.textContent = button.dataset.stop;
    button.setAttribute("aria-pressed", "true");
    var next = function (i) {
      if (reading.cancelled) return;
      if (i >= items.length) { stop(); return; }
      mark(items[i]);
      var utterance = new SpeechSynthesisUtterance(items[i].text);
      utterance.voice = voice;
      utterance.lang = voice.lang;
      utterance.onend = function () { next(i + 1); };
      utterance.onerror = function () { stop(); };
      synth.speak(utterance);
    };
    next(0);
  }

  function listenButton(labels, onClick) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "listen-button";
    button.dataset.listen = labels.listen;
    button.dataset.stop = labels.stop;
    button.textContent = labels.listen;
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function () {
      if (current && current.button === button) stop();
      else onClick(button);
    });
    return button;
  }

  function enhance() {
    document.querySelectorAll(".listen[data-listen]:not([data-person]):not(.by-phone)").forEach(function (box) {
      var voice = voiceFor(box.dataset.lang);
      var target = document.getElementById(box.dataset.listen);
      if (!voice || !target) return;
      box.classList.add("by-phone");
      Array.prototype.forEach.call(box.children, function (child) { child.hidden = true; });
      box.prepend(listenButton({ listen: box.dataset.labelListen, stop: box.dataset.labelStop }, function (button) {
        read(button, sentences(target), voice);
      }));
    });
    var nav = document.querySelector("header nav[data-listen-label]");
    var voice = voiceFor(document.documentElement.lang);
    if (nav && voice && !nav.querySelector(".listen-button")) {
      nav.appendChild(listenButton({ listen: nav.dataset.listenLabel, stop: nav.dataset.stopLabel }, function (button) {
        var links = Array.prototype.map.call(nav.querySelectorAll("a"), function (a) {
          var range = document.createRange();
          range.selectNodeContents(a);
          return { text: a.textContent.trim(), range: range, block: a };
        });
        read(button, links, voice);
      }));
    }
  }

  enhance();
  if (synth.addEventListener) synth.addEventListener("voiceschanged", enhance);
  window.addEventListener("pagehide", stop);
})();
