// Draws a projection's charts from the figures the page embeds: each policy's median as a line and,
// for stochastic runs, its P5–P95 band shaded beneath; the warning line on the cover chart.
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("projection-data");
  if (!source || !window.echarts) return;
  var f = JSON.parse(source.textContent);
  var charts = [];
  var policies = [["现行政策", f.current, "#1f4e79"]];
  if (f.draft) policies.push([f.draft_name || "政策草案", f.draft, "#c0504d"]);
  var banded = f.runs > 1;

  function series(key, extra) {
    var out = [];
    policies.forEach(function (p) {
      var s = p[1][key];
      if (banded) {  // stacked: the lower edge invisible, the band's height above it shaded
        // stackStrategy "all": a negative balance's band stacks on its own lower edge, not from zero
        out.push({ name: p[0] + " 下沿", type: "line", stack: p[0] + key, stackStrategy: "all", symbol: "none",
                   lineStyle: { opacity: 0 },
                   data: s.p5 });
        out.push({ name: p[0] + " 5%～95%分位", type: "line", stack: p[0] + key, stackStrategy: "all", symbol: "none",
                   lineStyle: { opacity: 0 },
                   areaStyle: { color: p[2], opacity: 0.15 }, itemStyle: { color: p[2], opacity: 0.3 },
                   data: s.p95.map(function (v, i) { return v === null || s.p5[i] === null ? null : v - s.p5[i]; }) });
      }
      out.push(Object.assign({ name: p[0], type: "line", data: s.p50, symbolSize: 6, itemStyle: { color: p[2] } }, extra || {}));
    });
    return out;
  }

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el);
    option.animation = false;
    chart.on("finished", function () { el.dataset.drawn = "1"; });
    chart.setOption(option);
    charts.push(chart);
  }

  function tip(ps) {  // the medians and the warning line; a band's series hold its width, not a figure
    var lines = [echarts.format.encodeHTML(String(ps[0].axisValueLabel))];
    ps.forEach(function (p) {
      if (/下沿$|分位$/.test(p.seriesName) || p.value === null || p.value === undefined) return;
      lines.push(p.marker + echarts.format.encodeHTML(p.seriesName) + "：" +
                 Number(p.value).toLocaleString("zh-CN", { maximumFractionDigits: 2 }));
    });
    return lines.join("<br>");
  }

  function base(series_, name) {
    return {
      tooltip: { trigger: "axis", formatter: tip },
      legend: { bottom: 0, data: series_.filter(function (s) { return !/下沿$/.test(s.name); }).map(function (s) { return s.name; }) },
      grid: { left: 16, right: 24, top: 32, bottom: policies.length > 1 ? 96 : 64, containLabel: true },
      xAxis: { type: "category", data: f.years },
      yAxis: { type: "value", name: name, scale: true },
      series: series_,
    };
  }

  draw("chart-balance", base(series("balance"), "元"));
  var cover = series("cover_months");
  cover.push({ name: "预警线", type: "line", symbol: "none", lineStyle: { type: "dashed", color: "#d48806" },
               data: f.years.map(function () { return f.warning; }) });
  draw("chart-cover", base(cover, "月"));
  var flows = [];
  policies.forEach(function (p) {
    flows.push({ name: p[0] + "缴费收入", type: "bar", data: p[1].contributions.p50 });
    flows.push({ name: p[0] + "待遇支出", type: "bar", data: p[1].benefits.p50 });
  });
  draw("chart-flows", base(flows, "元"));
  var people = [];
  policies.forEach(function (p) {
    people.push({ name: p[0] + "参保人数", type: "line", data: p[1].insured.p50, yAxisIndex: 0 });
    people.push({ name: p[0] + "待遇人数", type: "line", data: p[1].beneficiaries.p50, yAxisIndex: 1 });
  });
  var opt = base(people, "参保（人）");
  opt.yAxis = [{ type: "value", name: "参保（人）", scale: true }, { type: "value", name: "待遇（人）", scale: true }];
  draw("chart-people", opt);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
});
