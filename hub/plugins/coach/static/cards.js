// The print button of the sign-in cards (without JavaScript the page says to use the browser's Print).
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
