// The kanban boards: dragging a card to another column or a won/lost zone moves it through
// the move endpoint. A move that is not completed (refused, or its dialog cancelled) puts the
// card back where it was.
(function () {
  "use strict";

  var pending = null; // {card, from, next, awaitingDialog}

  function page() { return document.querySelector(".board-page"); }

  function restore() {
    if (!pending) { return; }
    var move = pending;
    pending = null;
    move.card.classList.remove("is-moving");
    if (move.next && move.next.parentNode === move.from) {
      move.from.insertBefore(move.card, move.next);
    } else {
      var sentinel = move.from.querySelector(".board-more");
      move.from.insertBefore(move.card, sentinel);
    }
  }

  function onEnd(event) {
    var card = event.item;
    if (event.from === event.to) {
      // Cards are ordered by creation; a drop inside the same column changes nothing.
      if (event.oldIndex !== event.newIndex) {
        var next = event.from.children[event.oldIndex + (event.oldIndex > event.newIndex ? 1 : 0)];
        event.from.insertBefore(card, next || null);
      }
      return;
    }
    if (pending) { restore(); }
    pending = { card: card, from: event.from, next: event.from.children[event.oldIndex] || null, awaitingDialog: false };
    card.classList.add("is-moving");
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      target: card,
      swap: "outerHTML",
      values: { stage: event.to.dataset.stage, version: card.dataset.version, board: "1" }
    });
  }

  function setup(root) {
    if (!root || typeof Sortable === "undefined") { return; }
    var group = "board-" + (root.dataset.entity || "cards");
    root.querySelectorAll(".board-cards").forEach(function (list) {
      if (list.dataset.sortable) { return; }
      list.dataset.sortable = "1";
      Sortable.create(list, {
        group: { name: group, pull: !list.dataset.zone, put: true },
        draggable: ".board-card",
        filter: "a, .board-more",
        preventOnFilter: false,
        animation: 150,
        delay: 200,
        delayOnTouchOnly: true,
        forceFallback: false,
        onEnd: onEnd
      });
    });
  }

  function flashZone(stageId) {
    var zone = document.querySelector('.board-zone[data-stage="' + stageId + '"]');
    if (!zone) { return; }
    zone.classList.remove("flash");
    void zone.offsetWidth; // restart the animation
    zone.classList.add("flash");
    var moved = (parseInt(zone.dataset.moved || "0", 10) || 0) + 1;
    zone.dataset.moved = String(moved);
    var badge = zone.querySelector(".board-zone-flash");
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "board-zone-flash";
      zone.appendChild(badge);
    }
    badge.textContent = "+" + moved;
    clearTimeout(zone._flashTimer);
    zone._flashTimer = setTimeout(function () {
      zone.classList.remove("flash");
      badge.remove();
      zone.dataset.moved = "0";
    }, 2500);
  }

  document.addEventListener("voronka:card-moved", function (event) {
    var detail = event.detail || {};
    if (pending && String(pending.card.dataset.id) === String(detail.id)) {
      pending.card.classList.remove("is-moving");
      pending = null;
    }
    if (detail.kind && detail.kind !== "open") {
      flashZone(detail.stage);
      // The card leaves the board once the response has been swapped in.
      setTimeout(function () {
        var card = document.getElementById(detail.entity + "-card-" + detail.id);
        if (card && card.closest(".board-zone")) { card.remove(); }
      }, 50);
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (!pending || event.detail.elt !== pending.card) { return; }
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 422) {
      pending.awaitingDialog = true;
    } else if (status !== 200) {
      restore();
    }
  });

  // The server already explains refused moves with its own notice.
  function quietErrors(element) {
    if (!element) { return; }
    element.addEventListener("htmx:responseError", function (event) {
      var trigger = event.detail.xhr && event.detail.xhr.getResponseHeader("HX-Trigger");
      if (trigger && trigger.indexOf("voronka:toast") !== -1) { event.stopPropagation(); }
    });
  }

  function watchDialog() {
    var host = document.getElementById("modal");
    if (!host) { return; }
    quietErrors(host);
    new MutationObserver(function () {
      if (pending && pending.awaitingDialog && !host.querySelector(".modal")) { restore(); }
    }).observe(host, { childList: true });
  }

  // Filters travel in the address; empty inputs are left out so a shared link stays short.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    var data = event.detail.formData;
    if (!data || !elt.closest || !elt.closest("#board-filters")) { return; }
    var empty = [];
    data.forEach(function (value, key) { if (value === "") { empty.push(key); } });
    empty.forEach(function (key) {
      var kept = data.getAll(key).filter(function (value) { return value !== ""; });
      data.delete(key);
      kept.forEach(function (value) { data.append(key, value); });
    });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var root = page();
    if (root && root.contains(event.detail.target)) { setup(root); }
  });
  document.addEventListener("htmx:afterSettle", function () { setup(page()); });

  function start() {
    var root = page();
    if (!root) { return; }
    quietErrors(root);
    setup(root);
    watchDialog();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
