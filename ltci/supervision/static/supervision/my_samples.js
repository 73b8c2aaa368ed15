// A home check carries the phone's location, taken just before the form is sent; a call does not.
document.querySelectorAll("form.locate").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (form.dataset.located || form.elements.method.value !== "visit" || !navigator.geolocation) { return; }
    event.preventDefault();
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.latitude.value = pos.coords.latitude.toFixed(6);
      form.elements.longitude.value = pos.coords.longitude.toFixed(6);
      form.dataset.located = "1";
      form.requestSubmit();
    }, function () { form.dataset.located = "1"; form.requestSubmit(); }, {enableHighAccuracy: true, timeout: 10000});
  });
});
