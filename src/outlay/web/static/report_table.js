// outlay cost reports: sort, search and pages for the group table. Without this script the
// table lists every group in the server's order; with it, 50 groups a page. A two-level table
// moves each first-level group (its <tbody>, subtotal first) as one piece.
"use strict";

(() => {
  const PAGE_SIZE = 50;

  const number = (text) => (text === undefined || text === "" ? null : Number(text));

  // Larger first; groups without a value (no previous period) after those with one.
  const KEYS = {
    value: (el) => number(el.dataset.value),
    change: (el) => number(el.dataset.change),
    change_pct: (el) => number(el.dataset.changePct),
    movers: (el) => { const c = number(el.dataset.change); return c === null ? null : Math.abs(c); },
  };

  function comparer(sort, descending) {
    const sign = descending ? -1 : 1;
    return (a, b) => {
      const other = ("other" in a.dataset) - ("other" in b.dataset);
      if (other) return other; // "Other" stays last
      if (sort === "name") return sign * a.dataset.name.localeCompare(b.dataset.name);
      const x = KEYS[sort](a);
      const y = KEYS[sort](b);
      if (x === null || y === null) return (x === null) - (y === null);
      return sign * (x - y) || a.dataset.name.localeCompare(b.dataset.name);
    };
  }

  function start(table) {
    const tools = document.getElementById("table-tools");
    const search = document.getElementById("table-search");
    const select = document.getElementById("table-sort");
    const pager = document.getElementById("table-pager");
    const count = document.getElementById("table-count");
    if (!table || !tools || !search || !select || !pager) return;
    const grouped = table.querySelector("tbody.parent") !== null;
    const body = grouped ? table : table.tBodies[0];
    if (!body) return;
    const units = grouped ? [...table.querySelectorAll("tbody.parent")] : [...body.rows];
    const state = { sort: select.value, descending: select.value !== "name", page: 0, shown: units };
    tools.hidden = false;

    const place = () => {
      const order = comparer(state.sort, state.descending);
      const sorted = [...units].sort(order);
      const foot = table.tFoot;
      for (const unit of sorted) {
        if (grouped) {
          const children = [...unit.rows].filter((r) => !r.classList.contains("subtotal")).sort(order);
          unit.append(...children);
          table.insertBefore(unit, foot);
        } else {
          body.append(unit);
        }
      }
      return sorted;
    };

    const matches = (unit, words) => {
      if (!words) return true;
      return unit.textContent.toLowerCase().includes(words);
    };

    const render = () => {
      const words = search.value.trim().toLowerCase();
      const sorted = place();
      state.shown = sorted.filter((u) => matches(u, words));
      const pages = Math.max(1, Math.ceil(state.shown.length / PAGE_SIZE));
      state.page = Math.min(state.page, pages - 1);
      const first = state.page * PAGE_SIZE;
      const visible = new Set(state.shown.slice(first, first + PAGE_SIZE));
      for (const unit of units) unit.hidden = !visible.has(unit);
      if (grouped && words) {
        for (const unit of visible) {
          const parentHit = unit.rows[0].textContent.toLowerCase().includes(words);
          for (const row of [...unit.rows].slice(1)) row.hidden = !parentHit && !matches(row, words);
        }
      } else if (grouped) {
        for (const unit of units) for (const row of unit.rows) row.hidden = false;
      }
      const what = grouped ? "groups (with their rows)" : "groups";
      count.textContent = words
        ? `${state.shown.length} of ${units.length} ${what} match`
        : `${units.length} ${what}`;
      pager.hidden = pages <= 1;
      document.getElementById("page-info").textContent =
        `${state.shown.length ? first + 1 : 0}–${Math.min(first + PAGE_SIZE, state.shown.length)} of ${state.shown.length}`;
      document.getElementById("page-prev").disabled = state.page === 0;
      document.getElementById("page-next").disabled = state.page >= pages - 1;
      for (const th of table.tHead.querySelectorAll("th[data-sort]")) {
        th.setAttribute("aria-sort", th.dataset.sort === state.sort ? (state.descending ? "descending" : "ascending") : "none");
      }
    };

    select.addEventListener("change", () => {
      state.sort = select.value;
      state.descending = state.sort !== "name";
      state.page = 0;
      render();
    });
    search.addEventListener("input", () => { state.page = 0; render(); });
    document.getElementById("page-prev").addEventListener("click", () => { state.page -= 1; render(); });
    document.getElementById("page-next").addEventListener("click", () => { state.page += 1; render(); });
    // A sortable header sorts by its column; a second click turns the order around.
    for (const th of table.tHead.querySelectorAll("th[data-sort]")) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.append(...th.childNodes);
      th.append(button);
      button.addEventListener("click", () => {
        if (state.sort === th.dataset.sort) state.descending = !state.descending;
        else { state.sort = th.dataset.sort; state.descending = state.sort !== "name"; }
        if ([...select.options].some((o) => o.value === state.sort)) select.value = state.sort;
        state.page = 0;
        render();
      });
    }
    render();
    if (window.performance && performance.mark) performance.mark("outlay-table-ready");
  }

  document.addEventListener("DOMContentLoaded", () => start(document.getElementById("report-table")));
})();
