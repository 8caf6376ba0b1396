// Card lists: "select all on this page", the selection counter that enables bulk buttons,
// and the filter form keeping the sort the table headers chose.
(function () {
  "use strict";

  function results() { return document.getElementById("list-results"); }

  function refresh() {
    var box = results();
    if (!box) { return; }
    var boxes = box.querySelectorAll('input[name="ids"]');
    var checked = box.querySelectorAll('input[name="ids"]:checked');
    var all = box.querySelector("[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && checked.length === boxes.length;
      all.indeterminate = checked.length > 0 && checked.length < boxes.length;
    }
    box.querySelectorAll("[data-needs-selection]").forEach(function (button) {
      button.disabled = checked.length === 0;
    });
    var counter = box.querySelector("[data-selected-count]");
    if (counter) {
      counter.textContent = checked.length ? counter.dataset.selectedText + " " + checked.length : "";
    }
    var sort = document.querySelector('#list-filters input[name="sort"]');
    if (sort && box.dataset.sort !== undefined) { sort.value = box.dataset.sort; }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      results().querySelectorAll('input[name="ids"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches("[data-select-all], #list-results input[name='ids']")) { refresh(); }
  });

  // A page cursor belongs to the old filter: a changed filter starts from the first page.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "list-filters") {
      delete event.detail.parameters.after;
    }
  });

  document.addEventListener("htmx:afterSettle", refresh);
  document.addEventListener("DOMContentLoaded", refresh);
})();
