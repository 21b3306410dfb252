// outlay: small enhancements shared by every page. Every page also works without them.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Controls marked data-autosubmit apply as soon as they change.
  for (const control of document.querySelectorAll("[data-autosubmit]")) {
    control.addEventListener("change", () => {
      if (control.form) control.form.requestSubmit();
    });
  }

  // Typing a date makes the report's range custom.
  for (const input of document.querySelectorAll("[data-custom-date]")) {
    input.addEventListener("change", () => {
      const interval = document.getElementById("interval");
      if (interval) interval.value = "custom";
    });
  }

  // Typing a comparison date makes the comparison custom; it applies once both are given.
  const compareDates = [...document.querySelectorAll("[data-compare-date]")];
  for (const input of compareDates) {
    input.addEventListener("change", () => {
      const compare = input.form && input.form.elements.namedItem("compare");
      if (compare) compare.value = "custom";
      if (input.form && compareDates.every((date) => date.value)) input.form.requestSubmit();
    });
  }

  // A table row with a drill link opens it when clicked anywhere.
  for (const row of document.querySelectorAll("tr[data-href]")) {
    row.addEventListener("click", (event) => {
      if (event.target.closest("a, button, input, select, textarea")) return;
      window.location.assign(row.dataset.href);
    });
  }

  for (const input of document.querySelectorAll("[data-select-on-focus]")) {
    input.addEventListener("focus", () => input.select());
  }

  keepFresh(document.querySelector("[data-refresh]"));
});

// Reload a section in place while something runs (an import), until the server stops asking.
function keepFresh(section) {
  if (!section || !section.id) return;
  const every = Number(section.dataset.refresh) || 3000;
  const tick = async () => {
    if (!section.contains(document.activeElement)) {
      try {
        const response = await fetch(window.location.pathname, { credentials: "same-origin" });
        if (response.ok && !response.redirected) {
          const page = new DOMParser().parseFromString(await response.text(), "text/html");
          const fresh = page.getElementById(section.id);
          if (fresh) {
            section.replaceChildren(...fresh.childNodes);
            if (!fresh.hasAttribute("data-refresh")) {
              section.removeAttribute("data-refresh");
              return;
            }
          }
        }
      } catch (error) {
        // The server may be restarting: try again at the next tick.
      }
    }
    window.setTimeout(tick, every);
  };
  window.setTimeout(tick, every);
}
