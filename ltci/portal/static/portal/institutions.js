// The phone's position, only when the person asks for it: the page is reloaded with it.
document.getElementById("locate").addEventListener("submit", function (event) {
  var form = event.target;
  if (form.elements.lat.value) { return; }
  event.preventDefault();
  navigator.geolocation.getCurrentPosition(function (pos) {
    form.elements.lat.value = pos.coords.latitude.toFixed(6);
    form.elements.lon.value = pos.coords.longitude.toFixed(6);
    form.submit();
  });
});
