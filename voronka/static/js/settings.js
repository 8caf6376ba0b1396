// Settings pages: drag to reorder (stages, loss reasons) and the list-options field of a
// custom field shown only for list types. Lists re-render through htmx, so set-up runs on
// every htmx:load as well as on the first page load.
(function () {
  "use strict";

  function csrfHeaders() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    } catch (error) {
      return {};
    }
  }

  function initSortable(list) {
    if (list.dataset.sortableReady || typeof Sortable === "undefined") { return; }
    list.dataset.sortableReady = "1";
    Sortable.create(list, {
      handle: ".drag-handle",
      draggable: "[data-id]",
      animation: 150,
      onEnd: function (event) {
        if (event.oldIndex === event.newIndex) { return; }
        var ids = Array.prototype.map.call(list.querySelectorAll("[data-id]"), function (item) {
          return item.dataset.id;
        });
        htmx.ajax("POST", list.dataset.reorderUrl, {
          source: list,
          swap: "none",
          values: { order: ids.join(",") },
          headers: csrfHeaders()
        });
      }
    });
  }

  function toggleListOptions(form) {
    var type = form.querySelector("select[name=field_type]");
    var box = form.querySelector("[data-list-options]");
    if (!type || !box) { return; }
    var update = function () { box.classList.toggle("hidden", type.value !== "list"); };
    type.addEventListener("change", update);
    update();
  }

  function init(root) {
    root.querySelectorAll("[data-sortable]").forEach(initSortable);
    root.querySelectorAll("[data-settings-form]").forEach(toggleListOptions);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
})();
