// SPDX-License-Identifier: Apache-2.0
// Usage over time against each quota (data: the JSON block #quota-data, one series per quota).
(function () {
  // the bars' fill: a style attribute would be blocked by the Content-Security-Policy, the CSSOM is not
  document.querySelectorAll('.bar[data-used]').forEach((b) => b.style.setProperty('--used', b.dataset.used + '%'));
  const el = document.getElementById('quota-chart');
  const data = document.getElementById('quota-data');
  if (!el || !data || typeof echarts === 'undefined') return;
  const quotas = JSON.parse(data.textContent);
  const gib = (b) => b / (1 << 30);
  const now = Date.now();
  const series = [];
  quotas.forEach((q) => {
    const points = q.points.concat([[now, q.now]]);
    series.push({name: q.name, type: 'line', step: 'end', showSymbol: false, data: points.map((p) => [p[0], gib(p[1])])});
    series.push({name: q.name + ' quota', type: 'line', showSymbol: false, lineStyle: {type: 'dashed'},
      data: [[points[0][0], gib(q.limit)], [now, gib(q.limit)]]});
  });
  const chart = echarts.init(el);
  chart.setOption({
    tooltip: {trigger: 'axis', valueFormatter: (v) => v.toFixed(3) + ' GiB'},
    legend: {type: 'scroll', bottom: 0},
    grid: {left: 60, right: 20, top: 20, bottom: 50},
    xAxis: {type: 'time'},
    yAxis: {type: 'value', name: 'GiB'},
    series: series
  });
  window.addEventListener('resize', () => chart.resize());
})();
