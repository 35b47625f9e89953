/* The encounter form's ICD-10 picker: a code picked from the search results is added to the diagnoses field and
   to the list of chosen codes; a code deleted from the field leaves the list. */
(function () {
  function setUp() {
    var results = document.getElementById("icd10-results");
    var field = document.getElementById("id_diagnoses");
    var chosen = document.getElementById("chosen-codes");
    if (!results || !field || !chosen) { return; }
    results.addEventListener("click", function (e) {
      var b = e.target.closest("[data-code]"); if (!b) { return; }
      var codes = field.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
      if (codes.indexOf(b.dataset.code) < 0) {
        codes.push(b.dataset.code);
        var li = document.createElement("li"); li.dataset.code = b.dataset.code; li.textContent = b.textContent.trim();
        chosen.appendChild(li);
      }
      field.value = codes.join(", ");
    });
    field.addEventListener("input", function () {
      // The same normalisation as the server's (services.icd10.normalise_code): "j069" is J06.9.
      var codes = this.value.toUpperCase().split(/[,，]/).map(function (s) {
        s = s.replace(/\s/g, ""); return s.length > 3 && s.indexOf(".") < 0 ? s.slice(0, 3) + "." + s.slice(3) : s;
      });
      chosen.querySelectorAll("[data-code]").forEach(function (li) {
        if (codes.indexOf(li.dataset.code) < 0) { li.remove(); }
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setUp); } else { setUp(); }
})();
