// Forms of class "locate" carry the phone's location, taken just before the form is sent; without a
// fix the server refuses. data-locate-when="FIELD=VALUE" takes it only when that field has that value
// (an auditor's home check does, a telephone call does not).
// A form holding a <details class="locate-help"> is not sent when locating fails: the details open
// to say why and what to do (allow location and try again, or send without a location by its own
// button, name="no_location", which skips locating).
var LOCATE_ERRORS = {1: "手机或浏览器未允许本网站使用位置信息。", 2: "暂时无法取得手机位置。", 3: "定位超时。"};

document.querySelectorAll("form.locate").forEach(function (form) {
  var help = form.querySelector("details.locate-help");
  function explain(text) {
    var status = help.querySelector(".locate-status");
    if (status) { status.textContent = text; }
    help.open = true;
    help.scrollIntoView({block: "nearest"});
  }
  form.addEventListener("submit", function (event) {
    var when = (form.dataset.locateWhen || "").split("=");
    if (form.dataset.located || (event.submitter && event.submitter.name === "no_location") ||
        (when.length === 2 && form.elements[when[0]].value !== when[1])) { return; }
    if (!navigator.geolocation) {
      if (help) { event.preventDefault(); explain("此浏览器不支持定位。"); }
      return;
    }
    event.preventDefault();
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.latitude.value = pos.coords.latitude.toFixed(6);
      form.elements.longitude.value = pos.coords.longitude.toFixed(6);
      form.dataset.located = "1";
      form.requestSubmit();
    }, function (error) {
      if (help) { explain(LOCATE_ERRORS[error.code] || LOCATE_ERRORS[2]); return; }
      form.dataset.located = "1";
      form.requestSubmit();
    }, {enableHighAccuracy: true, timeout: 10000});
  });
});
