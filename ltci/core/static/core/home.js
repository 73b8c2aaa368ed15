// Draws the enrolment chart of the home page from the JSON the page embeds.
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("enrolment-chart");
  var data = document.getElementById("enrolment-data");
  if (!el || !data || !window.echarts) return;
  var rows = JSON.parse(data.textContent);
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "item", formatter: "{b}：{c} 人（{d}%）" },
    series: [{ type: "pie", radius: ["35%", "65%"], data: rows, label: { formatter: "{b}\n{c}人" } }],
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
