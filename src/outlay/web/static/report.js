// outlay cost reports: the chart (plotly) and the filter builder. The URL holds the state;
// this script only draws what the server put in the page and writes VQL into the filter box.
"use strict";

(() => {
  // Distinct colours for up to 20 series (no repeats within a chart); beyond that, hues are
  // spread by the golden angle so each extra series still gets its own colour.
  const PALETTE = [
    "#3553d6", "#e8743b", "#19a979", "#945ecf", "#ed4a7b", "#13a4b4", "#c9a31c", "#7f3f1f",
    "#bf399e", "#2f6497", "#8bc34a", "#ee6868", "#5c2d91", "#00796b", "#f4b400", "#a1887f",
    "#1e88e5", "#d81b60", "#43a047", "#6d4c41",
  ];
  const OTHER_COLOUR = "#8d96a8";
  const BLANK_COLOUR = "#c5cad3";

  const colourAt = (index) =>
    index < PALETTE.length ? PALETTE[index] : `hsl(${Math.round((index * 137.508) % 360)}, 62%, ${index % 2 ? 42 : 58}%)`;

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

  const DAY_MS = 86400000;

  // Ticks on the bins' own starts: months on the 1st, weeks on Mondays, quarters on quarters.
  function timeAxis(bin, first, count) {
    const step = (n, most) => Math.max(1, Math.ceil(n / most));
    if (bin === "month") return { type: "date", tick0: first, dtick: `M${step(count, 12)}`, tickformat: "%b %Y" };
    if (bin === "quarter") return { type: "date", tick0: first, dtick: `M${3 * step(count, 12)}`, tickformat: "%b %Y" };
    if (bin === "week") return { type: "date", tick0: first, dtick: 7 * DAY_MS * step(count, 12), tickformat: "%b %d" };
    if (bin === "day") return { type: "date", tick0: first, dtick: DAY_MS * step(count, 10), tickformat: "%a %b %d" };
    return { type: "date" };
  }

  const HOVER_DATE = { month: "%b %Y", quarter: "%b %Y", week: "week of %b %d", day: "%a %Y-%m-%d", hour: "%a %b %d %H:%M" };

  function colours(series, labels) {
    let next = 0;
    return series.map((one) => {
      if (one.other) return OTHER_COLOUR;
      if (one.name === labels.none || one.name === labels.untagged) return BLANK_COLOUR;
      return colourAt(next++);
    });
  }

  function extraTraces(data, format) {
    const traces = [];
    if (data.previous && data.previous.x.length) {
      traces.push({
        type: "scatter", mode: "lines", name: escapeLabel(data.previous.name), x: data.previous.x, y: data.previous.y,
        line: { color: "#1d2330", width: 2, dash: "dash" }, meta: "previous",
        hovertemplate: `Previous period, aligned<br>%{x}: %{y:${format}}<extra></extra>`,
      });
    }
    const f = data.forecast;
    if (f && f.days) {
      const band = { type: "scatter", mode: "lines", x: f.days.x, line: { width: 0 }, hoverinfo: "skip", showlegend: false };
      traces.push({ ...band, y: f.days.high, meta: "forecast-high" });
      traces.push({ ...band, y: f.days.low, fill: "tonexty", fillcolor: "rgba(53, 83, 214, 0.15)", meta: "forecast-band" });
      traces.push({
        type: "scatter", mode: "lines", name: `Forecast ${f.month}`, x: f.days.x, y: f.days.y, meta: "forecast",
        line: { color: "#3553d6", width: 2, dash: "dash" },
        hovertemplate: `Forecast<br>%{x}: %{y:${format}} a day<extra></extra>`,
      });
    } else if (f && data.date_bin === "month") {
      traces.push({
        type: "scatter", mode: "markers", name: `Forecast ${f.month}`, x: [`${f.month}-01`], y: [f.total], meta: "forecast",
        marker: { color: "#1d2330", symbol: "diamond", size: 11 },
        error_y: { type: "data", symmetric: false, array: [f.high - f.total], arrayminus: [f.total - f.low], color: "#5d6677" },
        hovertemplate: `Forecast ${f.month}: %{y:${format}}<extra></extra>`,
      });
    }
    return traces;
  }

  const sumOf = (one) => one.y.reduce((a, b) => a + b, 0);

  function baseLayout(data) {
    return {
      margin: { t: 16, r: 16, b: 48, l: 72 },
      height: 360,
      showlegend: data.series.length > 1 || Boolean(data.previous || data.forecast),
      legend: { orientation: "h", y: -0.2, traceorder: "normal" },
      yaxis: {
        tickprefix: data.money ? "$" : "", tickformat: data.money ? ",.2~f" : ",~s",
        rangemode: "tozero", fixedrange: true,
      },
      xaxis: { fixedrange: !data.dated, automargin: true },
      hovermode: "closest",
      paper_bgcolor: "white",
      plot_bgcolor: "white",
      font: { family: "system-ui, sans-serif", size: 12 },
    };
  }

  function pieChart(data, colour, format, layout) {
    Object.assign(layout, { showlegend: true, legend: { orientation: "v" } });
    return [{
      type: "pie", labels: data.series.map((s) => escapeLabel(s.name)), customdata: data.series.map((s) => s.name),
      values: data.series.map(sumOf), marker: { colors: colour }, hole: 0.4, sort: false,
      textinfo: "percent", textposition: "inside", insidetextorientation: "horizontal",
      hovertemplate: `%{label}<br>%{value:${format}}<extra></extra>`,
    }];
  }

  // One bar per group (cumulative), or per first-level group stacked by the second level.
  function barChart(data, colour, format, layout) {
    const stacked = Boolean(data.stacked_by);
    Object.assign(layout, { barmode: "stack", showlegend: stacked });
    layout.xaxis.type = "category";
    if (stacked) {
      // Long names (emails) under the bars, the second level's legend beside them.
      Object.assign(layout, { height: 440, legend: { orientation: "v", title: { text: escapeLabel(data.stacked_by) } } });
      layout.xaxis.tickangle = -30;
    }
    return data.series.map((one, i) => ({
      type: "bar", name: escapeLabel(one.name), x: stacked ? one.x.map(escapeLabel) : [escapeLabel(one.name)],
      y: stacked ? one.y : [sumOf(one)], customdata: stacked ? one.x : [one.name],
      marker: { color: colour[i] },
      hovertemplate: `%{fullData.name}<br>%{x}: %{y:${format}}<extra></extra>`,
    }));
  }

  function timeChart(data, colour, format, layout) {
    const when = HOVER_DATE[data.date_bin] || "%Y-%m-%d";
    const traces = data.series.map((one, i) => {
      const trace = {
        name: escapeLabel(one.name), x: one.x, y: one.y, customdata: one.x.map(() => one.name),
        marker: { color: colour[i] }, line: { color: colour[i], width: 2 },
        hovertemplate: `%{fullData.name}<br>%{x|${when}}: %{y:${format}}<extra></extra>`,
      };
      if (data.chart === "bar") trace.type = "bar";
      else if (data.chart === "area") Object.assign(trace, { type: "scatter", mode: "lines", stackgroup: "one" });
      else Object.assign(trace, { type: "scatter", mode: "lines+markers" });
      return trace;
    });
    traces.push(...extraTraces(data, format));
    layout.barmode = "stack";
    const drawn = [...data.series, ...(data.forecast && data.forecast.days ? [data.forecast.days] : [])];
    const bins = [...new Set(drawn.flatMap((s) => s.x))].sort();
    Object.assign(layout.xaxis, timeAxis(data.date_bin, bins[0], bins.length));
    return traces;
  }

  function drawChart(element, data) {
    if (!element || typeof Plotly === "undefined") return;
    const colour = colours(data.series, data.labels || {});
    const format = data.money ? "$,.2f" : ",.2~f";
    const layout = baseLayout(data);
    let draw = timeChart;
    if (data.chart === "pie") draw = pieChart;
    else if (data.stacked_by || !data.dated) draw = barChart;
    const traces = draw(data, colour, format, layout);
    Plotly.newPlot(element, traces, layout, {
      responsive: true, displaylogo: false,
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
    }).then(() => {
      element.dataset.drawn = String(traces.length);
      if (window.performance && performance.mark) performance.mark("outlay-chart-drawn");
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

  // -- loading sign ---------------------------------------------------------------------------

  // Every control reloads the page; say so while the server runs the report.
  function showLoading() {
    const sign = document.getElementById("loading");
    if (sign) sign.hidden = false;
    document.body.classList.add("busy");
  }

  function watchLoading() {
    const controls = document.getElementById("controls");
    if (controls) controls.addEventListener("submit", showLoading);
    const links = "a[href^='/reports?'], tr[data-href]";
    document.addEventListener("click", (event) => {
      const target = event.target.closest(links);
      if (target && !event.defaultPrevented && !event.metaKey && !event.ctrlKey) showLoading();
    });
    window.addEventListener("pageshow", () => {
      const sign = document.getElementById("loading");
      if (sign) sign.hidden = true;
      document.body.classList.remove("busy");
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
    watchLoading();
    const data = readJSON("report-data");
    if (data) drawChart(document.getElementById("chart"), data);
    const builder = readJSON("builder-data");
    if (builder) startBuilder(document.getElementById("filter-builder"), document.getElementById("filter-vql"), builder);
  });
})();
