// Keys of the screening page: one key per decision, reasons a key away. No other script.
(function () {
  "use strict";
  var reasonFor = null;
  function submit(id) { var f = document.getElementById(id); if (f) { f.submit(); } }
  function go(id) { var a = document.getElementById(id); if (a) { window.location.href = a.href; } }
  function showReasons(decision) {
    reasonFor = decision;
    document.getElementById("reasons").hidden = false;
    document.getElementById("reasons-for").textContent = decision.replace("_", " ");
  }
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA")) {
      if (ev.key === "Escape") { t.blur(); }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var k = ev.key;
    if (reasonFor !== null) {
      var form = document.getElementById("reason-" + reasonFor + "-" + k);
      if (form) { ev.preventDefault(); form.submit(); return; }
      if (k === "Escape") { reasonFor = null; document.getElementById("reasons").hidden = true; }
      return;
    }
    if (k === "i") { ev.preventDefault(); submit("do-include"); }
    else if (k === "e" && document.getElementById("reasons-exclude")) { ev.preventDefault(); showReasons("exclude"); }
    else if (k === "r" && document.getElementById("reasons-not_retrieved")) { ev.preventDefault(); showReasons("not_retrieved"); }
    else if (k === "s") { ev.preventDefault(); submit("do-same"); }
    else if (k === "d") { ev.preventDefault(); submit("do-different"); }
    else if (k === "m") { ev.preventDefault(); submit("do-maybe"); }
    else if (k === "u") { ev.preventDefault(); submit("do-undo"); }
    else if (k === "n" || k === "ArrowRight" || k === "j") { ev.preventDefault(); go("next"); }
    else if (k === "p" || k === "ArrowLeft" || k === "k") { ev.preventDefault(); go("prev"); }
    else if (k === "/") { ev.preventDefault(); document.getElementById("q").focus(); }
  });
  document.querySelectorAll("[data-reasons]").forEach(function (b) {
    b.addEventListener("click", function () { showReasons(b.getAttribute("data-reasons")); });
  });
})();
