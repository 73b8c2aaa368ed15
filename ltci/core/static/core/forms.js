// A select marked data-submit-on-change sends its form when a value is picked (no inline handlers:
// the Content-Security-Policy allows scripts from files only).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.form && field.hasAttribute("data-submit-on-change")) { field.form.submit(); }
});
