// The running total and what the limit leaves, as the editor types; the server checks again on save.
(function () {
  var limit = document.getElementById("limit");
  if (!limit || limit.dataset.kind !== "amount") { return; }
  var cap = Number(limit.dataset.value);
  function update() {
    var fen = 0;
    document.querySelectorAll("#plan-form input[data-price]").forEach(function (input) {
      var n = parseInt(input.value, 10), price = Math.round(Number(input.dataset.price || 0) * 100);
      if (n > 0) { fen += n * price; }
    });
    document.getElementById("total").textContent = (fen / 100).toFixed(2);
    var left = document.getElementById("left");
    left.textContent = ((cap - fen) / 100).toFixed(2);
    left.className = cap - fen < 0 ? "error" : "";
  }
  document.getElementById("plan-form").addEventListener("input", update);
  update();
})();
