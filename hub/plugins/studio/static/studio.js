// Live preview for the lesson editor: posts the Markdown to the hub, which answers with the
// same sanitised HTML residents get. Without JavaScript the "Preview" button does the same.
(function () {
  "use strict";
  const area = document.querySelector("textarea[data-preview]");
  const target = area && document.getElementById(area.dataset.preview);
  if (!area || !target) return;
  const token = (document.cookie.match(/(?:^|; )hub_csrf=([^;]*)/) || [])[1] || "";
  let timer = null;
  let sent = 0;
  function refresh() {
    const number = ++sent;
    fetch("/tutor/studio/preview", {
      method: "POST",
      headers: {"X-CSRF-Token": decodeURIComponent(token)},
      body: new URLSearchParams({text: area.value}),
      credentials: "same-origin",
    }).then((response) => (response.ok ? response.text() : null)).then((html) => {
      if (html !== null && number === sent) target.innerHTML = html;
    }).catch(() => {});
  }
  area.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
  refresh();
})();
