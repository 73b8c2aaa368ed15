document.getElementById("locate").addEventListener("click", function () {
  if (!navigator.geolocation) { return; }
  navigator.geolocation.getCurrentPosition(function (pos) {
    document.getElementById("latitude").value = pos.coords.latitude.toFixed(6);
    document.getElementById("longitude").value = pos.coords.longitude.toFixed(6);
  });
});
