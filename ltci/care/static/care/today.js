// Fill each form's location from the phone just before it is sent; without a fix the server refuses.
document.querySelectorAll("form.locate").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (form.dataset.located) { return; }
    event.preventDefault();
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.latitude.value = pos.coords.latitude.toFixed(6);
      form.elements.longitude.value = pos.coords.longitude.toFixed(6);
      form.dataset.located = "1";
      form.requestSubmit();
    }, function () { form.dataset.located = "1"; form.requestSubmit(); }, {enableHighAccuracy: true, timeout: 10000});
  });
});
