// Card pages (lead, deal, contact, company): sections edited in place, the timeline composer,
// typeahead pickers, the product rows editor and reloading after a move or an edit.
(function () {
  "use strict";

  function cardRoot() { return document.getElementById("card"); }

  // Fetch the card page once and replace the given parts with their fresh copies
  // (one request, so no part is skipped while another is loading).
  var reloading = null;
  var pendingParts = {};
  function reloadParts(parts) {
    var root = cardRoot();
    if (!root) { return; }
    parts.forEach(function (selector) { pendingParts[selector] = true; });
    var selectors = Object.keys(pendingParts);
    var url = root.dataset.cardUrl || window.location.pathname;
    if (reloading) { reloading.abort(); }
    reloading = new AbortController();
    fetch(url, { credentials: "same-origin", signal: reloading.signal })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        pendingParts = {};
        reloading = null;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        selectors.forEach(function (selector) {
          var current = document.querySelector(selector);
          var replacement = fresh.querySelector(selector);
          if (!current || !replacement) { return; }
          var node = document.importNode(replacement, true);
          current.replaceWith(node);
          if (window.htmx) { window.htmx.process(node); }
          initEditors(node);
        });
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") { return; }
        window.location.reload();
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
  // --- product rows editor: live totals computed the way the server does --------------------
  var SIGNS = { RUB: "₽", USD: "$", EUR: "€", CNY: "¥", KZT: "₸", BYN: "Br" };

  function number(text) {
    var value = parseFloat(String(text || "").replace(/[\s\u00a0]/g, "").replace(",", "."));
    return isNaN(value) ? null : value;
  }
  function cents(value) { return Math.round((value + Number.EPSILON) * 100) / 100; }
  function formatMoney(value, currency) {
    var lang = document.documentElement.lang || "ru";
    var text = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
    return text + "\u00a0" + (SIGNS[currency] || currency || "");
  }

  function recompute(editor) {
    var currency = editor.dataset.currency;
    var net = 0, tax = 0, total = 0;
    editor.querySelectorAll("[data-product-row]").forEach(function (row) {
      var price = number(row.querySelector("[data-price]").value);
      var quantity = number(row.querySelector("[data-quantity]").value);
      var discount = number(row.querySelector("[data-discount]").value) || 0;
      var rateText = row.querySelector("[data-vat]").value;
      var rate = rateText === "" ? null : number(rateText);
      var included = row.querySelector("[data-vat-included]").value !== "0";
      var cell = row.querySelector("[data-row-sum]");
      if (price === null || quantity === null) { cell.textContent = ""; return; }
      var afterDiscount = cents(price * (1 - discount / 100));
      var rowNet = cents(afterDiscount * quantity);
      var subtotal = (rate === null || included) ? rowNet : cents(rowNet * (1 + rate / 100));
      var rowTax = rate === null ? 0 : cents(subtotal * rate / (100 + rate));
      total += subtotal; tax += rowTax;
      cell.textContent = formatMoney(subtotal, currency);
    });
    net = total - tax;
    var put = function (selector, value) {
      var node = editor.querySelector(selector);
      if (node) { node.textContent = formatMoney(cents(value), currency); }
    };
    put("[data-total-net]", net); put("[data-total-tax]", tax); put("[data-total-sum]", total);
  }

  function appendFromTemplate(container, template) {
    var fragment = template.content.cloneNode(true);
    var first = fragment.firstElementChild;
    container.appendChild(fragment);
    if (window.htmx && first) { window.htmx.process(first); }
    return first;
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-product-add]");
    if (add) {
      var editor = add.closest("[data-product-editor]");
      var row = appendFromTemplate(editor.querySelector("[data-product-rows]"), editor.querySelector("[data-product-template]"));
      if (row) { row.querySelector("[data-lookup-text]").focus(); }
      recompute(editor);
      return;
    }
    var addComm = event.target.closest("[data-comm-add]");
    if (addComm) {
      var box = addComm.parentElement;
      var line = appendFromTemplate(box.querySelector("[data-comm-rows]"), box.querySelector("[data-comm-template]"));
      if (line) { line.querySelector("input[type=text]").focus(); }
      return;
    }
    var remove = event.target.closest("[data-row-remove]");
    if (remove) {
      var owner = remove.closest("[data-product-row], [data-contact-row], [data-comm-row]");
      var productEditor = remove.closest("[data-product-editor]");
      if (owner) { owner.remove(); }
      if (productEditor) { recompute(productEditor); }
    }
  });

  document.addEventListener("input", function (event) {
    var editor = event.target.closest("[data-product-editor]");
    if (editor) { recompute(editor); }
  });
  document.addEventListener("change", function (event) {
    var editor = event.target.closest("[data-product-editor]");
    if (editor) { recompute(editor); }
  });

  // A product picked from the catalogue fills the row; a contact picked is added to the list.
  document.addEventListener("voronka:lookup-picked", function (event) {
    var data = event.detail || {};
    var productRow = event.target.closest("[data-product-row]");
    if (productRow) {
      if (data.price !== undefined) { productRow.querySelector("[data-price]").value = data.price; }
      if (data.unit) { productRow.querySelector("[data-unit]").value = data.unit; }
      if (data.vat !== undefined) {
        var select = productRow.querySelector("[data-vat]");
        if (!Array.prototype.some.call(select.options, function (o) { return o.value === data.vat; })) {
          var option = document.createElement("option");
          option.value = data.vat; option.textContent = data.vat + "%";
          select.appendChild(option);
        }
        select.value = data.vat;
      }
      if (data.vatIncluded !== undefined) { productRow.querySelector("[data-vat-included]").value = data.vatIncluded; }
      recompute(productRow.closest("[data-product-editor]"));
      return;
    }
    var other = event.target.closest(".conversion-other");
    if (other && other.previousElementSibling) {
      var radio = other.previousElementSibling.querySelector("input[type=radio]");
      if (radio) { radio.checked = true; }
    }
    var contactAdd = event.target.closest("[data-contact-add]");
    if (contactAdd) {
      var field = contactAdd.parentElement;
      var list = field.querySelector("[data-contact-rows]");
      var exists = list.querySelector('input[name=contact][value="' + data.lookupPick + '"]');
      if (!exists) {
        var item = appendFromTemplate(list, field.querySelector("[data-contact-template]"));
        item.querySelector("input[name=contact]").value = data.lookupPick;
        var radio = item.querySelector("input[type=radio]");
        radio.value = data.lookupPick;
        if (!list.querySelector("input[type=radio]:checked")) { radio.checked = true; }
        item.querySelector("label span").textContent = data.label;
      }
      contactAdd.querySelector("[data-lookup-text]").value = "";
      contactAdd.querySelector("[data-lookup-value]").value = "";
    }
  });

  function showCurrentStage(root) {
    var current = (root.querySelector ? root : document).querySelector(".stage-bar .current");
    if (current && current.parentElement.scrollWidth > current.parentElement.clientWidth) {
      var bar = current.parentElement;
      bar.scrollLeft = current.offsetLeft - bar.offsetLeft - (bar.clientWidth - current.offsetWidth) / 2;
    }
  }

  function initEditors(root) {
    showCurrentStage(root);
    (root.querySelectorAll ? root : document).querySelectorAll("[data-product-editor]").forEach(recompute);
    if (root.matches && root.matches("[data-product-editor]")) { recompute(root); }
  }
  document.addEventListener("htmx:load", function (event) { initEditors(event.target); });
  document.addEventListener("DOMContentLoaded", function () { initEditors(document); });
})();
