// outlay virtual tag editor: reorder values in place and preview the draft as it changes.
// Without this script the same buttons post the form and the server does the same work.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("tag-editor");
  if (!form) return;
  const rows = document.getElementById("value-rows");
  const template = document.getElementById("value-template");
  const preview = document.getElementById("tag-preview");
  let timer = 0;
  let asked = 0;

  const renumber = () => {
    [...rows.children].forEach((row, i) => {
      row.querySelector("[data-index]").textContent = String(i + 1);
      for (const button of row.querySelectorAll("button[data-op]")) button.value = `${button.dataset.op}:${i}`;
    });
  };

  const refresh = async () => {
    const body = new FormData(form);
    body.set("op", "preview");
    const ticket = ++asked;
    try {
      const response = await fetch(form.dataset.previewUrl, { method: "POST", body, credentials: "same-origin" });
      if (ticket !== asked) return; // a newer preview is on its way
      if ((response.headers.get("content-type") || "").includes("json")) {
        const problem = await response.json();
        const line = document.createElement("p");
        line.className = "error";
        line.textContent = problem.error ? problem.error.message : "The preview failed.";
        preview.replaceChildren(line);
        return;
      }
      preview.innerHTML = await response.text(); // the server's own escaped fragment
    } catch (error) {
      // Offline or restarting: the Preview button tries again.
    }
  };

  const schedule = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 450);
  };

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-op]");
    if (!button) return;
    event.preventDefault();
    const op = button.dataset.op;
    const row = button.closest("[data-value-row]");
    if (op === "add") rows.append(template.content.cloneNode(true));
    else if (op === "up" && row.previousElementSibling) rows.insertBefore(row, row.previousElementSibling);
    else if (op === "down" && row.nextElementSibling) rows.insertBefore(row.nextElementSibling, row);
    else if (op === "remove" && rows.children.length > 1) row.remove();
    renumber();
    schedule();
  });

  document.getElementById("preview-button").addEventListener("click", (event) => {
    event.preventDefault();
    refresh();
  });
  // Boxes grow with their lines (up to 12): a split's "Name: percent" lines, a filter's emails.
  form.addEventListener("input", (event) => {
    if (event.target.matches("textarea[data-grow]")) {
      event.target.rows = Math.min(12, Math.max(1, event.target.value.split("\n").length));
    }
    schedule();
  });
  if (document.getElementById("tag-key").value.trim()) refresh();
});
