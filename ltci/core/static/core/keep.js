// A refused form keeps what was typed. Many forms post, and on a refusal the server redirects back
// with the reason as a message: the page is drawn anew, empty. So each posted form's values are
// kept in this tab (sessionStorage, never sent anywhere) and put back when the page that comes
// back says why it refused; any other page forgets them. Passwords and files are never kept.
(function () {
  var PREFIX = "ltci-kept:";
  var SKIP = { password: 1, file: 1, submit: 1, button: 1 };

  // A page may hold several forms posting to one address (a rule each): their hidden fields tell them apart.
  function key(form) {
    var hidden = Array.prototype.filter.call(form.elements, function (f) {
      return f.type === "hidden" && f.name && f.name !== "csrfmiddlewaretoken";
    }).map(function (f) { return f.name + "=" + f.value; }).join("&");
    return PREFIX + (form.getAttribute("action") || location.pathname) + "|" + location.pathname + "|" + hidden;
  }

  function kept(form) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || SKIP[field.type] || field.name === "csrfmiddlewaretoken") { return; }
      if ((field.type === "checkbox" || field.type === "radio") && !field.checked) { return; }
      if (field.tagName === "SELECT" && field.multiple) {
        values[field.name] = Array.prototype.filter.call(field.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; });
        return;
      }
      (values[field.name] = values[field.name] || []).push(field.value);
    });
    return values;
  }

  function refill(form, values) {
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || SKIP[field.type] || field.name === "csrfmiddlewaretoken" || field.type === "hidden") { return; }
      var given = values[field.name];
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = !!given && given.indexOf(field.value) !== -1;
      } else if (field.tagName === "SELECT" && field.multiple) {
        Array.prototype.forEach.call(field.options, function (o) { o.selected = !!given && given.indexOf(o.value) !== -1; });
      } else if (given && given.length) {
        field.value = given.shift();
      }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.method || "").toLowerCase() !== "post" || form.hasAttribute("data-no-keep")) { return; }
    try { sessionStorage.setItem(key(form), JSON.stringify(kept(form))); } catch (e) { /* storage full or off */ }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    var refused = document.querySelector(".messages .error");
    Array.prototype.forEach.call(document.forms, function (form) {
      var k = key(form), stored = null;
      try { stored = sessionStorage.getItem(k); sessionStorage.removeItem(k); } catch (e) { return; }
      if (refused && stored) {
        refill(form, JSON.parse(stored));
        var details = form.closest("details");
        if (details) { details.open = true; }  // a form folded away is shown again with what was typed
      }
    });
  });
})();
