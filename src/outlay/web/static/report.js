// outlay cost reports: the chart (plotly) and the filter builder. The URL holds the state;
// this script only draws what the server put in the page and writes VQL into the filter box.
"use strict";

(() => {
  const PALETTE = [
    "#3553d6", "#e8743b", "#19a979", "#945ecf", "#ed4a7b", "#13a4b4",
    "#c9a31c", "#525df4", "#bf399e", "#6c8893", "#ee6868", "#2f6497",
  ];

  const readJSON = (id) => {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  };

  const make = (tag, props = {}, ...children) => {
    const element = document.createElement(tag);
    Object.assign(element, props);
    element.append(...children);
    return element;
  };

  // -- chart --------------------------------------------------------------------------------

  // Plotly reads a subset of HTML in every text it draws (names, labels, ticks, hover text), so
  // a tag value like <a href="…"> would become a link: every label passed to it is escaped
  // here, and Plotly shows the escaped text as written. Names stay raw for lookups (drill-down).
  const escapeLabel = (text) =>
    String(text).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

  const valueOf = (value) => (value === null || value === undefined ? 0 : Number(value));

  function seriesName(data, row) {
    if (!data.group_keys.length) return "Total";
    if (data.group_keys.every((key) => key === "unit" || row[key] === data.labels.other)) {
      // The groups "top" folded: one series (per unit).
      return [data.labels.other, ...data.group_keys.filter((k) => k === "unit").map((k) => String(row[k]))].join(" - ");
    }
    return data.group_keys
      .map((key) => {
        const value = row[key];
        if (value !== null && value !== undefined) return String(value);
        return key.startsWith("tag:") ? data.labels.untagged : data.labels.none;
      })
      .join(" - ");
  }

  function drawChart(element, data) {
    if (!element || typeof Plotly === "undefined") return;
    const measure = data.measure;
    const series = new Map();
    for (const name of data.order) series.set(name, { x: [], y: [], total: 0 });
    for (const row of data.rows) {
      const name = seriesName(data, row);
      if (!series.has(name)) series.set(name, { x: [], y: [], total: 0 });
      const one = series.get(name);
      one.x.push(data.dated ? row.date : name);
      one.y.push(valueOf(row[measure]));
      one.total += valueOf(row[measure]);
    }
    const names = [...series.keys()];
    const labels = names.map(escapeLabel);
    const blank = new Set([data.labels.none, data.labels.untagged]);
    let next = 0;
    const colours = new Map(names.map((n) => [n, blank.has(n) ? "#aab2c0" : PALETTE[next++ % PALETTE.length]]));
    const colour = (i) => colours.get(names[i]);
    const format = data.money ? "$,.2f" : ",.2~f";
    const layout = {
      margin: { t: 16, r: 16, b: 48, l: 72 },
      height: 340,
      showlegend: names.length > 1,
      legend: { orientation: "h", y: -0.18, traceorder: "normal" },
      yaxis: {
        tickprefix: data.money ? "$" : "", tickformat: data.money ? ",.2~f" : ",~s",
        rangemode: "tozero", fixedrange: true,
      },
      xaxis: { fixedrange: !data.dated },
      hovermode: "closest",
      paper_bgcolor: "white",
      plot_bgcolor: "white",
      font: { family: "system-ui, sans-serif", size: 12 },
    };
    let traces;
    if (data.chart === "pie") {
      traces = [{
        type: "pie", labels, customdata: names, values: names.map((n) => series.get(n).total),
        marker: { colors: names.map((_, i) => colour(i)) }, hole: 0.4, sort: false,
        textinfo: "percent", hovertemplate: `%{label}<br>%{value:${format}}<extra></extra>`,
      }];
      layout.showlegend = true;
      layout.legend = { orientation: "v" };
    } else if (!data.dated) {
      // A cumulative report has no dates: one bar per group.
      traces = [{
        type: "bar", x: labels, y: names.map((n) => series.get(n).total), customdata: names,
        marker: { color: names.map((_, i) => colour(i)) },
        hovertemplate: `%{x}<br>%{y:${format}}<extra></extra>`,
      }];
      layout.showlegend = false;
    } else {
      traces = names.map((name, i) => {
        const one = series.get(name);
        const trace = {
          name: labels[i], x: one.x, y: one.y, customdata: one.x.map(() => name),
          marker: { color: colour(i) }, line: { color: colour(i), width: 2 },
          hovertemplate: `%{fullData.name}<br>%{x}: %{y:${format}}<extra></extra>`,
        };
        if (data.chart === "bar") trace.type = "bar";
        else if (data.chart === "area") Object.assign(trace, { type: "scatter", mode: "lines", stackgroup: "one" });
        else Object.assign(trace, { type: "scatter", mode: "lines+markers" });
        return trace;
      });
      layout.barmode = "stack";
      if (data.forecast && data.date_bin === "month") {
        const f = data.forecast;
        traces.push({
          type: "scatter", mode: "markers", name: "Forecast", x: [`${f.month}-01`],
          y: [Number(f.forecast)], marker: { color: "#1d2330", symbol: "diamond", size: 11 },
          error_y: {
            type: "data", symmetric: false, array: [Number(f.high) - Number(f.forecast)],
            arrayminus: [Number(f.forecast) - Number(f.low)], color: "#5d6677",
          },
          hovertemplate: `Forecast ${f.month}: %{y:${format}}<extra></extra>`,
        });
      }
    }
    Plotly.newPlot(element, traces, layout, {
      responsive: true, displaylogo: false,
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
    });
    element.on("plotly_click", (event) => {
      const point = event.points && event.points[0];
      if (!point) return;
      // The raw name: a pie slice gives its customdata as a list (one per merged point).
      const name = Array.isArray(point.customdata) ? point.customdata[0] : point.customdata;
      const url = data.drill[name];
      if (url) window.location.assign(url);
    });
  }

  // -- filter builder -----------------------------------------------------------------------

  const quote = (value) => `'${value.replaceAll("'", "''")}'`;
  const subject = (dim) =>
    dim.startsWith("tag:") ? `tags.name = ${quote(dim.slice(4))} AND tags.value` : `costs.${dim}`;

  function condition(rule) {
    const values = rule.values.map((v) => v.trim()).filter((v) => v !== "");
    if (!values.length) return "";
    if (rule.op === "IN" || rule.op === "NOT IN") {
      return `${subject(rule.dim)} ${rule.op} (${values.map(quote).join(", ")})`;
    }
    return `${subject(rule.dim)} ${rule.op} ${quote(values[0])}`;
  }

  const compose = (rules) => rules.map(condition).filter(Boolean).join(" AND ");

  function startBuilder(box, vql, config) {
    if (!box || !vql) return;
    box.hidden = false;
    if (config.rows === null) {
      box.replaceChildren(make("p", {
        className: "made",
        textContent: config.invalid
          ? "The filter below has an error: fix it, or clear it to use the builder."
          : "This filter uses OR, NOT, NULL or a regular expression, which the builder "
            + "does not show: edit it as VQL below, or clear it to build a new one.",
      }));
      return;
    }
    const rules = config.rows.map((r) => ({ ...r, values: [...r.values] }));
    const lists = new Map();
    const made = make("p", { className: "made" });
    let touched = false;

    const valuesList = (dim) => {
      if (lists.has(dim)) return lists.get(dim).id;
      const list = make("datalist", { id: `values-${lists.size}` });
      lists.set(dim, list);
      box.after(list);
      fetch(`${config.values_url}&dimension=${encodeURIComponent(dim)}`, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : { values: [] }))
        .then((body) => list.replaceChildren(...body.values.map((v) => make("option", { value: v }))))
        .catch(() => {});
      return list.id;
    };

    const write = () => {
      const text = compose(rules);
      made.textContent = rules.length ? "" : "No rules: every cost counts. The VQL box below is the same filter.";
      if (touched) vql.value = text;
    };

    const changed = (redraw) => {
      touched = true;
      if (redraw) draw();
      else write();
    };

    function ruleElement(rule, index) {
      const dim = make("select", { title: "Dimension" });
      for (const [value, label] of config.dimensions) dim.append(make("option", { value, textContent: label }));
      dim.value = rule.dim;
      dim.addEventListener("change", () => { rule.dim = dim.value; changed(true); });
      const op = make("select", { title: "Operator" });
      for (const value of config.ops) op.append(make("option", { value, textContent: value }));
      op.value = rule.op;
      op.addEventListener("change", () => {
        rule.op = op.value;
        if (!rule.op.includes("IN")) rule.values = rule.values.slice(0, 1);
        changed(true);
      });
      const listId = valuesList(rule.dim);
      const values = rule.values.map((value, i) => {
        const input = make("input", {
          type: "text", value, placeholder: rule.op === "LIKE" ? "pattern, e.g. claude%" : "value",
        });
        input.setAttribute("list", listId);
        input.setAttribute("aria-label", "Value");
        input.addEventListener("input", () => { rule.values[i] = input.value; changed(false); });
        return input;
      });
      const parts = [make("span", { className: "join", textContent: index ? "and" : "where" }), dim, op, ...values];
      if (rule.op.includes("IN")) {
        parts.push(make("button", {
          type: "button", className: "secondary", textContent: "+ value", title: "Add a value",
          onclick: () => { rule.values.push(""); changed(true); },
        }));
      }
      parts.push(make("button", {
        type: "button", className: "secondary", textContent: "×", title: "Remove this rule",
        onclick: () => { rules.splice(index, 1); changed(true); },
      }));
      return make("div", { className: "rule" }, ...parts);
    }

    function draw() {
      const add = make("button", {
        type: "button", className: "secondary", textContent: "+ Add filter rule",
        onclick: () => { rules.push({ dim: config.dimensions[0][0], op: "=", values: [""] }); changed(true); },
      });
      box.replaceChildren(
        make("span", { className: "label", textContent: "Filter" }),
        ...rules.map(ruleElement), make("div", { className: "rule" }, add, made),
      );
      write();
    }

    vql.addEventListener("input", () => {
      if (vql.value.trim() !== compose(rules)) {
        made.textContent = "The VQL below was edited by hand: Apply to see it here.";
        touched = false;
      }
    });
    draw();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const data = readJSON("report-data");
    if (data) drawChart(document.getElementById("chart"), data);
    const builder = readJSON("builder-data");
    if (builder) startBuilder(document.getElementById("filter-builder"), document.getElementById("filter-vql"), builder);
  });
})();
