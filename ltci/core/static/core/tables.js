// On a phone a table is shown as a card per row (console.css, table.stacked): each cell is labelled
// with its column's header here, once the page is drawn and after htmx swaps in new rows.
(function () {
  function stack(table) {
    var heads = table.querySelectorAll("thead th");
    if (!heads.length || table.querySelector("td[rowspan], th[colspan]")) { return; }
    var names = Array.prototype.map.call(heads, function (th) { return th.textContent.trim(); });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var i = 0;
      Array.prototype.forEach.call(row.children, function (cell) {
        var name = names[i];
        if (name && cell.tagName === "TD" && !cell.hasAttribute("colspan")) { cell.setAttribute("data-label", name); }
        i += cell.colSpan || 1;
      });
    });
    table.classList.add("stacked");
  }
  function all(root) { (root || document).querySelectorAll("table").forEach(stack); }
  document.addEventListener("DOMContentLoaded", function () { all(document); });
  document.addEventListener("htmx:afterSwap", function (event) { all(event.target); });
})();
