/* The Scheda works without this script; it adds the typeahead on the body's
   name (ARIA 1.2 combobox) and moves focus to the error summary. The
   registry's search answers first; the enrolment's own replica is the
   fallback when the registry cannot be reached. */
(function () {
  "use strict";
  var SOURCES = ["/api/registry/v1/entities", "/api/enrolment/v1/entities"];
  var KINDS = {comune: "Comune", unione_di_comuni: "Unione di comuni", comunita_montana: "Comunità montana",
    provincia: "Provincia", citta_metropolitana: "Città metropolitana"};

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function search(q) {
    var url = function (base) { return base + "?limit=10&q=" + encodeURIComponent(q); };
    return fetch(url(SOURCES[0]), {headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .catch(function () {
        return fetch(url(SOURCES[1])).then(function (r) {
          if (!r.ok) throw new Error(r.status);
          return r.json();
        });
      })
      .then(function (body) { return body.items || []; });
  }

  function typeahead(input) {
    var hidden = document.getElementById("entity_code");
    var status = document.getElementById("ente-status");
    var list = el("ul", "suggestions");
    list.id = "ente-listbox";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Enti trovati");
    list.hidden = true;
    input.parentNode.insertBefore(list, input.nextSibling);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    var items = [], active = -1, timer = null, seq = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(i) {
      var options = list.children;
      if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
      active = i;
      if (i >= 0 && options[i]) {
        options[i].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", options[i].id);
        options[i].scrollIntoView({block: "nearest"});
      }
    }

    function pick(entity) {
      input.value = entity.name + (entity.province ? " (" + entity.province + ")" : "");
      hidden.value = entity.code;
      var p = el("p", entity.eligible ? "eligible" : "not-eligible");
      var strong = el("strong", null, entity.name + (entity.province ? " (" + entity.province + ")" : "") +
        (entity.eligible ? " può aderire:" : " non può aderire:"));
      p.appendChild(strong);
      p.appendChild(document.createTextNode(" " + entity.eligibility_reason));
      status.replaceChildren(p);
      close();
    }

    function show(found) {
      items = found;
      list.replaceChildren();
      if (!found.length) {
        var none = el("li", null, "Nessun ente trovato");
        none.setAttribute("role", "option");
        none.setAttribute("aria-disabled", "true");
        none.id = "ente-opt-none";
        list.appendChild(none);
      }
      found.forEach(function (entity, i) {
        var li = el("li");
        li.id = "ente-opt-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.appendChild(document.createTextNode(entity.name + (entity.province ? " (" + entity.province + ")" : "")));
        li.appendChild(el("span", "meta", (KINDS[entity.kind] || entity.kind) + " · " + (entity.region || "") +
          " · " + (entity.eligible ? "ammesso" : "non ammesso")));
        li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(entity); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    input.addEventListener("input", function () {
      hidden.value = "";
      status.replaceChildren();
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 3) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        search(q).then(function (found) { if (mine === seq) show(found); })
          .catch(function () { if (mine === seq) close(); });
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (e.key === "Enter" && active >= 0 && items[active]) { e.preventDefault(); pick(items[active]); }
      else if (e.key === "Escape") { e.preventDefault(); close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
    var input = document.getElementById("ente");
    if (input && document.getElementById("entity_code")) typeahead(input);
  });
})();
