// Card pages (lead, deal, contact, company): sections edited in place, the timeline composer,
// typeahead pickers, the product rows editor and reloading after a move or an edit.
(function () {
  "use strict";

  function cardRoot() { return document.getElementById("card"); }

  function reloadParts(selectors) {
    var root = cardRoot();
    if (!root || !window.htmx) { return; }
    var url = root.dataset.cardUrl || window.location.pathname;
    selectors.forEach(function (selector) {
      if (document.querySelector(selector)) {
        window.htmx.ajax("GET", url, { target: selector, select: selector, swap: "outerHTML" });
      }
    });
  }

  // A saved section changes the head (title, amount); a move changes the stage bar and fields.
  document.addEventListener("voronka:card-changed", function () {
    reloadParts(["#card-head", "#card-stages"]);
  });
  document.addEventListener("voronka:card-moved", function () {
    reloadParts(["#card-head", "#card-stages", "#card-fields"]);
  });

  // A conflict (409) carries a form with the explanation: show it instead of a bare notice.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 409 && xhr.responseText && xhr.getResponseHeader("X-Voronka-Swap") !== "no") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("click", function (event) {
    // Timeline composer tabs.
    var tab = event.target.closest("[data-tl-tab]");
    if (tab) {
      var composer = tab.closest(".tl-composer");
      composer.querySelectorAll("[data-tl-tab]").forEach(function (item) {
        var on = item === tab;
        item.classList.toggle("current", on);
        item.setAttribute("aria-selected", on ? "true" : "false");
      });
      composer.querySelectorAll("[data-tl-pane]").forEach(function (pane) {
        pane.classList.toggle("hidden", pane.dataset.tlPane !== tab.dataset.tlTab);
      });
      return;
    }
    // A typeahead pick.
    var pick = event.target.closest("[data-lookup-pick]");
    if (pick) {
      var lookup = pick.closest("[data-lookup]");
      lookup.querySelector("[data-lookup-value]").value = pick.dataset.lookupPick;
      lookup.querySelector("[data-lookup-text]").value = pick.dataset.label;
      lookup.querySelector(".lookup-results").innerHTML = "";
      lookup.dispatchEvent(new CustomEvent("voronka:lookup-picked", { bubbles: true, detail: pick.dataset }));
      return;
    }
    document.querySelectorAll(".lookup-results").forEach(function (box) {
      if (!box.parentElement.contains(event.target)) { box.innerHTML = ""; }
    });
  });

  document.addEventListener("input", function (event) {
    var text = event.target.closest("[data-lookup-text]");
    if (text && text.value.trim() === "") {
      text.closest("[data-lookup]").querySelector("[data-lookup-value]").value = "";
    }
  });

  document.addEventListener("change", function (event) {
    var done = event.target.closest("[data-tl-done]");
    if (done) {
      var result = done.closest(".tl-done").querySelector(".tl-result");
      if (result) { result.classList.toggle("hidden", !done.checked); }
    }
  });
})();
