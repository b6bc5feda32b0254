/*
 * Accessibility fixes for markup that the theme and docutils generate (found by
 * axe-core in tests/test_browser.py). Jupyter Book loads every .js in _static.
 *
 * - The colour-mode button is labelled "Color mode", but its Font Awesome icons
 *   carry their own titles ("Light", "Dark", ...), so its visible name and its
 *   label disagree: the icons are decorative inside a labelled button.
 * - The search button is labelled "Search" but also shows its keyboard
 *   shortcut (Ctrl+K, or the Mac equivalent): the label now names both.
 * - myst-nb labels every hide-input toggle "Toggle hidden content" while it
 *   shows "Show code cell source": the visible text now names it.
 * - docutils renders the bibliography as role="list" whose children have the
 *   deprecated role "doc-biblioentry" instead of "listitem".
 */
(function () {
  "use strict";

  function fix() {
    document
      .querySelectorAll(".theme-switch-button i, .theme-switch-button svg")
      .forEach(function (icon) {
        icon.removeAttribute("title");
        icon.removeAttribute("role");
        icon.removeAttribute("aria-labelledby");
        icon.querySelectorAll("title").forEach(function (title) {
          title.remove();
        });
        icon.setAttribute("aria-hidden", "true");
      });
    document.querySelectorAll(".search-button__button").forEach(function (button) {
      var hint = button.querySelector(".search-button__kbd-shortcut");
      if (hint) {
        button.setAttribute("aria-label", "Search " + hint.innerText.replace(/\s+/g, ""));
      }
    });
    document
      .querySelectorAll('summary[aria-label="Toggle hidden content"]')
      .forEach(function (summary) {
        summary.removeAttribute("aria-label");
      });
    document
      .querySelectorAll('[role="list"] > [role="doc-biblioentry"]')
      .forEach(function (entry) {
        entry.setAttribute("role", "listitem");
      });
  }

  document.addEventListener("DOMContentLoaded", fix);
  window.addEventListener("load", fix);
})();
