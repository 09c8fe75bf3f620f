/* The Scheda works without this script; it adds the typeahead on the body's
   name (ARIA 1.2 combobox) and moves focus to the error summary. The
   registry's search answers first; the enrolment's own replica is the
   fallback when the registry cannot be reached. Written in ES5 so that old
   browsers parse it; the typeahead only switches on where fetch and Promise
   exist, elsewhere the plain field stays as it is. */
(function () {
  "use strict";
  var SOURCES = ["/api/registry/v1/entities", "/api/enrolment/v1/entities"];
  // The registry's KIND_LABELS (registry/domain/entity.py), capitalised.
  var KINDS = {comune: "Comune", unione_di_comuni: "Unione di comuni", comunita_montana: "Comunità montana",
    unione_montana: "Unione montana", comunita_isolana: "Comunità isolana",
    consorzio_di_comuni: "Consorzio di comuni", provincia: "Provincia", provincia_autonoma: "Provincia autonoma",
    citta_metropolitana: "Città metropolitana", libero_consorzio: "Libero consorzio comunale",
    unita_non_amministrativa: "Unità territoriale non amministrativa"};
  // Key names: standard, legacy Edge <=16 / IE, and keyCode where key is missing.
  var KEYS = {ArrowDown: "down", Down: "down", ArrowUp: "up", Up: "up", Escape: "esc", Esc: "esc", Enter: "enter"};
  var KEY_CODES = {40: "down", 38: "up", 27: "esc", 13: "enter"};

  function supported() {
    var root = document.documentElement;
    return !!(window.fetch && window.Promise && document.addEventListener && document.querySelector &&
      root && root.classList && "textContent" in root);
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  // Node.replaceChildren() is missing from IE11, legacy Edge, Firefox <78, Chrome <86.
  function empty(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function keyOf(e) {
    return (e.key && KEYS[e.key]) || (!e.key && KEY_CODES[e.keyCode]) || null;
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
    // Announces how many entities were found, or that the search failed.
    var live = el("div", "visually-hidden");
    live.id = "ente-live";
    live.setAttribute("aria-live", "polite");
    list.parentNode.insertBefore(live, list.nextSibling);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    var items = [], active = -1, timer = null, seq = 0;

    function announce(text) {
      live.textContent = text || "";
    }

    function close() {
      clearTimeout(timer);
      seq++;                          // a search still in flight must not reopen the list
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(i) {
      var options = list.children;
      if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
      active = i;
      if (i >= 0 && i < items.length && options[i]) {
        options[i].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", options[i].id);
        reveal(options[i]);
      } else {
        active = -1;
        input.removeAttribute("aria-activedescendant");
      }
    }

    // Scrolls the list (not the page) so that the option is visible; older
    // browsers read scrollIntoView's options object as alignToTop = true.
    function reveal(option) {
      var top = option.offsetTop, bottom = top + option.offsetHeight;
      if (top < list.scrollTop) list.scrollTop = top;
      else if (bottom > list.scrollTop + list.clientHeight) list.scrollTop = bottom - list.clientHeight;
    }

    function pick(entity) {
      input.value = entity.name + (entity.province ? " (" + entity.province + ")" : "");
      hidden.value = entity.code;
      var p = el("p", entity.eligible ? "eligible" : "not-eligible");
      var strong = el("strong", null, entity.name + (entity.province ? " (" + entity.province + ")" : "") +
        (entity.eligible ? " può aderire:" : " non può aderire:"));
      p.appendChild(strong);
      p.appendChild(document.createTextNode(" " + entity.eligibility_reason));
      empty(status);
      status.appendChild(p);
      announce("");
      close();
    }

    function show(found) {
      items = found;
      empty(list);
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
      input.removeAttribute("aria-activedescendant");
      active = -1;
      announce(!found.length ? "Nessun ente trovato" : found.length === 1 ?
        "1 ente trovato: usa le frecce per sceglierlo" :
        found.length + " enti trovati: usa le frecce per sceglierne uno");
    }

    function current(mine) {
      return mine === seq && document.activeElement === input;
    }

    input.addEventListener("input", function () {
      hidden.value = "";
      empty(status);
      announce("");
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 3) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        search(q).then(function (found) { if (current(mine)) show(found); })
          .catch(function () {
            if (!current(mine)) return;
            close();
            announce("Ricerca non disponibile: scrivi il nome completo e continua");
          });
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      var key = keyOf(e);
      if (key === "down") { e.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
      else if (key === "up") { e.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (key === "enter" && active >= 0 && items[active]) { e.preventDefault(); pick(items[active]); }
      else if (key === "esc") { e.preventDefault(); close(); }
    });
    input.addEventListener("blur", function () {
      setTimeout(function () { if (document.activeElement !== input) close(); }, 100);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
    var input = document.getElementById("ente");
    if (input && document.getElementById("entity_code") && document.getElementById("ente-status") &&
        supported()) typeahead(input);
  });
})();
