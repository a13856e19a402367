// Type-ahead for a member field: the search box asks the JSON endpoint named in its
// data-search-url (at most 20 names, in the user's branches) and fills the select named
// in data-target. Without script the box's "查找" button reloads the page with matches.
(function () {
  "use strict";
  var box = document.querySelector("input[data-search-url]");
  if (!box) { return; }
  var select = document.getElementById(box.dataset.target);
  var button = document.getElementById("member-q-button");
  if (!select) { return; }
  if (button) { button.hidden = true; }
  var timer = null;
  var asked = "";

  function fill(members) {
    var keep = select.value;
    while (select.options.length > 1) { select.remove(1); }
    members.forEach(function (m) {
      var opt = document.createElement("option");
      opt.value = String(m.id);
      opt.textContent = m.label;
      select.appendChild(opt);
    });
    if (members.length === 1) {
      select.value = String(members[0].id);
    } else if (keep && select.querySelector('option[value="' + keep + '"]')) {
      select.value = keep;
    }
  }

  function search() {
    var q = box.value.trim();
    if (!q || q === asked) { return; }
    asked = q;
    var url = box.dataset.searchUrl + "?q=" + encodeURIComponent(q);
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {members: []}; })
      .then(function (data) { if (q === asked) { fill(data.members || []); } })
      .catch(function () { /* keep the current choices */ });
  }

  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  box.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); clearTimeout(timer); search(); }
  });
})();
