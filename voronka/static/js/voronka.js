// Shared behaviour of every page: dialogs, notices and the phone-width menu.
// Pages add their own scripts; this file knows nothing about leads or deals.
(function () {
  "use strict";

  function modalHost() { return document.getElementById("modal"); }

  function closeModal() {
    var host = modalHost();
    if (host) { host.innerHTML = ""; }
  }

  function toast(message, level) {
    var box = document.getElementById("toasts");
    if (!box || !message) { return; }
    var item = document.createElement("div");
    item.className = "toast " + (level || "info");
    item.setAttribute("role", level === "error" ? "alert" : "status");
    item.textContent = message;
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, level === "error" ? 8000 : 4000);
  }

  window.voronka = { closeModal: closeModal, toast: toast };

  // Server responses say what happened through HX-Trigger events.
  document.addEventListener("voronka:modal-close", closeModal);
  document.addEventListener("voronka:toast", function (event) {
    toast(event.detail && event.detail.message, event.detail && event.detail.level);
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-modal-close]") || event.target.classList.contains("modal")) {
      closeModal();
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeModal(); }
  });

  // A failed request must never look like nothing happened.
  document.addEventListener("htmx:responseError", function (event) {
    // The server may have explained the refusal itself; one notice is enough.
    var trigger = event.detail.xhr.getResponseHeader("HX-Trigger");
    if (trigger && trigger.indexOf("voronka:toast") !== -1) { return; }
    toast(document.body.dataset.errorText + " (" + event.detail.xhr.status + ")", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast(document.body.dataset.offlineText, "error");
  });
})();
