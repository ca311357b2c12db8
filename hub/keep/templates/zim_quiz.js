// Checks a quiz inside the ZIM file, in the page: nothing is sent anywhere.
(function () {
  "use strict";
  var form = document.getElementById("quiz");
  if (!form) { return; }
  function chosen(fieldset) {
    return Array.prototype.map.call(fieldset.querySelectorAll("input:checked"), function (i) { return i.value; });
  }
  function isRight(fieldset) {
    var type = fieldset.dataset.type, answer = JSON.parse(fieldset.dataset.answer), given = chosen(fieldset);
    if (type === "single") { return given.length === 1 && Number(given[0]) === answer; }
    if (type === "multiple") {
      var want = answer.map(String).sort().join(","), got = given.sort().join(",");
      return want === got;
    }
    if (type === "truefalse") { return given.length === 1 && (given[0] === "true") === answer; }
    var text = fieldset.querySelector("input[type=text]").value.trim().replace(/\s/g, "").replace(",", ".");
    if (text === "" || isNaN(Number(text))) { return false; }
    return Math.abs(Number(text) - answer) <= Number(fieldset.dataset.tolerance || 0);
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var questions = form.querySelectorAll("fieldset.question"), score = 0;
    Array.prototype.forEach.call(questions, function (fieldset) {
      var right = isRight(fieldset), verdict = fieldset.querySelector(".verdict");
      if (right) { score += 1; }
      verdict.textContent = right ? verdict.dataset.right : verdict.dataset.wrong;
      verdict.className = "verdict " + (right ? "right" : "wrong");
      verdict.hidden = false;
      fieldset.querySelector(".explanation").hidden = false;
    });
    var status = form.querySelector(".score");
    status.textContent = status.dataset.template.replace("{score}", score).replace("{total}", questions.length);
  });
})();
