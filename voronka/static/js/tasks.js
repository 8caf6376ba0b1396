// The task pages: people pickers with several choices (chips), and the board by deadline,
// where dropping a task in a column moves its deadline (the server may ask for a comment in
// a dialog; whatever happens, the board reloads itself from the server afterwards).
(function () {
  "use strict";

  // --- several employees in one field --------------------------------------------------------
  document.addEventListener("voronka:lookup-picked", function (event) {
    var multi = event.target.closest("[data-multi-user]");
    if (!multi) { return; }
    var data = event.detail || {};
    var list = multi.querySelector(".chips");
    var exists = list.querySelector('input[value="' + data.lookupPick + '"]');
    if (!exists) {
      var chip = multi.querySelector("[data-chip-template]").content.firstElementChild.cloneNode(true);
      chip.querySelector("input").value = data.lookupPick;
      chip.querySelector("span").textContent = data.label;
      list.appendChild(chip);
    }
    multi.querySelector("[data-lookup-text]").value = "";
    multi.querySelector("[data-lookup-value]").value = "";
  });

  document.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-chip-remove]");
    if (remove) { remove.closest(".chip").remove(); }
  });

  // A press of Enter in a typeahead picks nothing and must not send the form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.closest("[data-multi-user] [data-lookup-text]")) {
      event.preventDefault();
    }
  });

  // --- the board -----------------------------------------------------------------------------
  var pendingMove = false;

  function reloadBoard() {
    pendingMove = false;
    document.body.dispatchEvent(new CustomEvent("tasks:changed", { bubbles: true }));
  }

  function onEnd(event) {
    if (event.from === event.to) { return; }
    var card = event.item;
    pendingMove = true;
    card.classList.add("is-moving");
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      swap: "none",
      values: { bucket: event.to.dataset.bucket, version: card.dataset.version }
    });
  }

  function setupBoard(root) {
    var board = (root && root.querySelector) ? (root.id === "task-board" ? root : root.querySelector("#task-board")) : null;
    if (!board || typeof Sortable === "undefined") { return; }
    board.querySelectorAll(".task-cards").forEach(function (list) {
      if (list.dataset.sortable) { return; }
      list.dataset.sortable = "1";
      Sortable.create(list, {
        group: { name: "tasks", pull: true, put: !list.dataset.noDrop },
        draggable: ".task-card",
        filter: "a",
        preventOnFilter: false,
        animation: 150,
        delay: 200,
        delayOnTouchOnly: true,
        onEnd: onEnd
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setupBoard(document); });
  document.addEventListener("htmx:load", function (event) { setupBoard(event.target); });

  // A refused drop, or a comment dialog cancelled: the board shows the saved state again.
  document.addEventListener("htmx:responseError", function (event) {
    if (pendingMove && event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("#task-board")) {
      reloadBoard();
    }
  });
  function cancelled(event) {
    if (!pendingMove || !document.querySelector("[data-board-move]")) { return; }
    if (event.type === "keydown" && event.key !== "Escape") { return; }
    if (event.type === "click" && !(event.target.closest("[data-modal-close]") || event.target.classList.contains("modal"))) { return; }
    setTimeout(reloadBoard, 0);
  }
  document.addEventListener("click", cancelled, true);
  document.addEventListener("keydown", cancelled, true);
  document.addEventListener("tasks:changed", function () { pendingMove = false; });
})();
