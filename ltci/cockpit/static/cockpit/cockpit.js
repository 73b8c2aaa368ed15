// Draws the cockpit's charts from the figures the page embeds; a click on a bar, slice or point opens
// the list behind it (each data item carries its `url`). No animation: the figures show at once.
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("cockpit-data");
  if (!source || !window.echarts) return;
  var f = JSON.parse(source.textContent);
  var charts = [];

  function item(name, value, url) { return { name: name, value: value, url: url || null }; }

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el);
    option.animation = false;
    option.tooltip = option.tooltip || { trigger: "item" };
    chart.on("finished", function () { el.dataset.drawn = "1"; });
    chart.setOption(option);
    chart.on("click", function (p) {
      var url = p.data && p.data.url;
      if (url) window.location.href = url;
    });
    el.style.cursor = "pointer";
    charts.push(chart);
  }

  function bars(rows, label, value) {
    return {
      grid: { left: 48, right: 16, top: 24, bottom: 56, containLabel: true },
      xAxis: { type: "category", data: rows.map(label), axisLabel: { interval: 0, rotate: rows.length > 4 ? 20 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", barMaxWidth: 48, label: { show: true, position: "top" },
                 data: rows.map(function (r) { return item(label(r), value(r), r.url); }) }],
    };
  }

  var b = f.beneficiaries;
  draw("chart-grades", bars(b.by_grade, function (r) { return r.label; }, function (r) { return r.n; }));
  draw("chart-modes", {
    legend: { bottom: 0 },
    series: [{ type: "pie", radius: ["30%", "62%"], center: ["50%", "45%"], label: { formatter: "{b}\n{c}人" },
               data: b.by_mode.map(function (r) { return item(r.label, r.n, r.url); }) }],
  });
  draw("chart-flow", bars(f.applications.in_flow, function (r) { return r.label; }, function (r) { return r.n; }));

  var months = f.fund.months;
  draw("chart-fund", {
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 64, right: 64, top: 40, bottom: 56, containLabel: true },
    xAxis: { type: "category", data: months.map(function (m) { return m.month; }) },
    yAxis: [{ type: "value", name: "收支" }, { type: "value", name: "结余" }],
    series: [
      { name: "收入", type: "bar", data: months.map(function (m) { return item(m.month, Number(m.income), m.url); }) },
      { name: "支出", type: "bar", data: months.map(function (m) { return item(m.month, Number(m.spending), m.url); }) },
      { name: "滚存结余", type: "line", yAxisIndex: 1, symbolSize: 8,
        data: months.map(function (m) { return item(m.month, Number(m.balance), m.url); }) },
    ],
  });

  var kinds = f.providers.by_kind;
  draw("chart-institutions", {
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 48, right: 48, top: 40, bottom: 56, containLabel: true },
    xAxis: { type: "category", data: kinds.map(function (k) { return k.label; }), axisLabel: { interval: 0 } },
    yAxis: [{ type: "value", name: "机构（家）", minInterval: 1 }, { type: "value", name: "床位（张）", minInterval: 1 }],
    series: [
      { name: "定点机构", type: "bar", data: kinds.map(function (k) { return item(k.label, k.n, k.url); }) },
      { name: "备案床位", type: "bar", yAxisIndex: 1, data: kinds.map(function (k) { return item(k.label, k.beds, k.url); }) },
    ],
  });

  var s = f.supervision;
  draw("chart-hits", {
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 16, right: 24, top: 16, bottom: 40, containLabel: true },
    yAxis: { type: "category", inverse: true, data: s.by_rule.map(function (r) { return r.name; }) },
    xAxis: { type: "value", minInterval: 1 },
    series: s.hit_statuses.map(function (st) {
      return { name: st.label, type: "bar", stack: "hits",
               data: s.by_rule.map(function (r) { return item(r.name, r.by_status[st.status] || 0, r.status_urls[st.status] || r.url); }) };
    }),
  });
  draw("chart-cases", {
    legend: { bottom: 0 },
    series: [{ type: "pie", radius: ["30%", "62%"], center: ["50%", "45%"], label: { formatter: "{b}\n{c}件" },
               data: s.cases.map(function (r) { return item(r.label, r.n, r.url); }) }],
  });

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
});
