// Forms of class "locate" carry the phone's location, taken just before the form is sent; without a
// fix the server refuses. data-locate-when="FIELD=VALUE" takes it only when that field has that value
// (an auditor's home check does, a telephone call does not).
document.querySelectorAll("form.locate").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    var when = (form.dataset.locateWhen || "").split("=");
    if (form.dataset.located || !navigator.geolocation ||
        (when.length === 2 && form.elements[when[0]].value !== when[1])) { return; }
    event.preventDefault();
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.latitude.value = pos.coords.latitude.toFixed(6);
      form.elements.longitude.value = pos.coords.longitude.toFixed(6);
      form.dataset.located = "1";
      form.requestSubmit();
    }, function () { form.dataset.located = "1"; form.requestSubmit(); }, {enableHighAccuracy: true, timeout: 10000});
  });
});
