// CareHub's own script, loaded on every page from the static files (the Content Security
// Policy allows no inline script or handler). Pages work without it; it only adds to them.
(function () {
  "use strict";
  // Print buttons: <button data-print>. Without JavaScript the browser's own Print works.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
})();
