/* Click-through for ledger counts: inline, offline, no dependencies. */
(function () {
  "use strict";
  var body = document.body;
  var data = JSON.parse(document.getElementById("ledger-data").textContent);
  var counts = data.counts;
  var lookup = data.lookup;
  var inputSets = data.input_sets || [];
  var panel = document.getElementById("count-panel");
  var panelTitle = document.getElementById("count-panel-title");
  var panelBody = panel.querySelector(".panel-body");
  var lastTrigger = null;
  var active = null;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function dl(pairs) {
    var list = el("dl");
    pairs.forEach(function (p) {
      if (p[1] === null || p[1] === undefined || p[1] === "") { return; }
      list.appendChild(el("dt", null, p[0]));
      var dd = el("dd");
      if (p[1] instanceof Node) { dd.appendChild(p[1]); } else { dd.textContent = String(p[1]); }
      list.appendChild(dd);
    });
    return list;
  }

  function copyText(text, button) {
    function done(ok) {
      button.textContent = ok ? "Copied" : "Copy failed: select the list below";
      setTimeout(function () { button.textContent = "Copy IDs"; }, 1500);
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { fallback(); });
    } else { fallback(); }
    function fallback() {
      var area = el("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      done(ok);
    }
  }

  function idsSection(id, c) {
    var box = el("div", { "class": "ids" });
    if (c.id_kind === "none") {
      box.appendChild(el("p", { "class": "muted" }, "A measured value, not a count of identifiable things."));
      return box;
    }
    if (c.ids === null) {
      var p = el("p", null, "Too many to list here (" + c.n_ids + "): listing in ");
      var a = el("a", { href: encodeURI(c.csv) }, c.csv);
      p.appendChild(a);
      box.appendChild(p);
      return box;
    }
    var button = el("button", { type: "button", "class": "copy" }, "Copy IDs");
    button.addEventListener("click", function () { copyText(c.ids.join("\n"), button); });
    box.appendChild(button);
    if (!c.ids.length) {
      box.appendChild(el("p", { "class": "muted" }, "No IDs: the count is zero."));
      return box;
    }
    var table = el("table");
    var head = el("tr");
    ["ID", "Title", "Year", "Source"].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    table.appendChild(el("thead")).appendChild(head);
    var tbody = el("tbody");
    c.ids.forEach(function (i) {
      var info = lookup[i] || {};
      var tr = el("tr");
      tr.appendChild(el("td", { "class": "code" }, i));
      tr.appendChild(el("td", null, info.title || ""));
      tr.appendChild(el("td", null, info.year === null || info.year === undefined ? "" : info.year));
      tr.appendChild(el("td", null, info.source || ""));
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    box.appendChild(table);
    return box;
  }

  function inputsList(c) {
    var pairs = typeof c.inputs === "number" ? inputSets[c.inputs] : c.inputs;
    if (!pairs || !pairs.length) { return null; }
    var ul = el("ul", { "class": "plain" });
    pairs.forEach(function (pair) {
      var li = el("li");
      li.appendChild(el("span", { "class": "code" }, pair[0]));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", { "class": "hash" }, pair[1]));
      ul.appendChild(li);
    });
    return ul;
  }

  function open(id, denominator, trigger) {
    var c = counts[id];
    if (!c) { return; }
    if (active) { active.classList.remove("active"); }
    active = trigger || null;
    if (active) { active.classList.add("active"); }
    lastTrigger = trigger || null;
    panelTitle.textContent = c.label || id;
    panelBody.textContent = "";
    var idNode = el("span", { "class": "code" }, id);
    var pairs = [["Count id", idNode], ["Value", shown(c)]];
    if (denominator && counts[denominator]) {
      var d = counts[denominator];
      pairs.push(["Percentage of", (d.label || denominator) + " (" + denominator + " = " + d.value + ")"]);
    }
    pairs.push(["Stage", c.stage], ["Rule", c.rule], ["Inputs", inputsList(c)]);
    panelBody.appendChild(dl(pairs));
    panelBody.appendChild(idsSection(id, c));
    panel.hidden = false;
    panel.setAttribute("data-count-open", id);
    panelTitle.focus();
  }

  function close() {
    panel.hidden = true;
    panel.removeAttribute("data-count-open");
    if (active) { active.classList.remove("active"); active = null; }
    if (lastTrigger) { lastTrigger.focus(); lastTrigger = null; }
  }

  // a number shows data-count-id; a figure mark without a number (a bar, a cell) data-count-ref
  var COUNT_SELECTOR = "[data-count-id], [data-count-ref]";
  // a count's value as the report shows it (a decimal for values stored in thousandths)
  function shown(c) {
    if (c.unit === "thousandths" && c.display !== undefined) { return c.display; }
    return c.value + (c.unit ? " " + c.unit : "");
  }

  function countOf(node) {
    return node.getAttribute("data-count-id") || node.getAttribute("data-count-ref");
  }

  function trigger(target) {
    var node = target && target.closest ? target.closest(COUNT_SELECTOR) : null;
    if (!node || panel.contains(node)) { return false; }
    open(countOf(node), node.getAttribute("data-denominator-id"), node);
    return true;
  }

  // figure tooltips: the count's label and value, read from the ledger blob
  var tooltip = document.getElementById("count-tooltip");
  function showTip(node, x, y) {
    var c = counts[countOf(node)];
    if (!c || !tooltip) { return; }
    tooltip.textContent = (c.label || countOf(node)) + ": " + shown(c);
    tooltip.setAttribute("data-count-tip", countOf(node));
    tooltip.style.left = Math.min(x + 12, window.innerWidth - 330) + "px";
    tooltip.style.top = (y + 14) + "px";
    tooltip.hidden = false;
  }
  function hideTip() { if (tooltip) { tooltip.hidden = true; } }
  function figureCount(target) {
    var node = target && target.closest ? target.closest(COUNT_SELECTOR) : null;
    return node && node.closest("svg") ? node : null;
  }
  document.addEventListener("mouseover", function (e) {
    var node = figureCount(e.target);
    if (node) { showTip(node, e.clientX, e.clientY); } else { hideTip(); }
  });
  document.addEventListener("focusin", function (e) {
    var node = figureCount(e.target);
    if (node) {
      var box = node.getBoundingClientRect();
      showTip(node, box.right, box.top);
    } else { hideTip(); }
  });

  document.addEventListener("click", function (e) { if (trigger(e.target)) { e.preventDefault(); } });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !panel.hidden) { close(); return; }
    if ((e.key === "Enter" || e.key === " ") && trigger(e.target)) { e.preventDefault(); }
  });
  panel.querySelector(".panel-close").addEventListener("click", close);

  // every count on the page must be in the ledger blob
  var missing = [];
  var spans = document.querySelectorAll(COUNT_SELECTOR);
  Array.prototype.forEach.call(spans, function (s) {
    var id = countOf(s);
    var den = s.getAttribute("data-denominator-id");
    if (!counts[id]) { missing.push(id); }
    if (den && !counts[den]) { missing.push(den); }
  });

  // a link to "#count=<id>" opens that count's panel (used by tests and for sharing)
  function fromHash() {
    var h = decodeURIComponent(window.location.hash || "");
    if (h.indexOf("#count=") === 0) {
      var id = h.slice("#count=".length);
      var safe = id.replace(/["\\]/g, "");
      var node = document.querySelector('[data-count-id="' + safe + '"], [data-count-ref="' + safe + '"]');
      open(id, node ? node.getAttribute("data-denominator-id") : null, node);
    }
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();

  // a link to a part of the page inside collapsed sections opens them on the way
  function openTarget() {
    var h = decodeURIComponent(window.location.hash || "").slice(1);
    if (!h || h.indexOf("count=") === 0) { return; }
    var target = document.getElementById(h);
    if (!target) { return; }
    for (var d = target.closest("details"); d; d = d.parentElement ? d.parentElement.closest("details") : null) {
      d.open = true;
    }
    if (target.tagName === "DETAILS") { target.open = true; }
    var next = target.nextElementSibling;  // a heading over a collapsed table
    if (next && next.tagName === "DETAILS") { next.open = true; }
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  body.setAttribute("data-count-spans", String(spans.length));
  if (missing.length) {
    body.setAttribute("data-missing-counts", missing.join(" "));
    body.dataset.ready = "error";
  } else {
    body.dataset.ready = "1";
  }
})();
