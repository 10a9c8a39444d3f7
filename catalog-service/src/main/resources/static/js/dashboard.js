// SPDX-License-Identifier: Apache-2.0
// Dashboard charts (ECharts from the WebJar; nothing is fetched from the internet).
(function () {
  function bytes(n) {
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (n >= 100 || i === 0 ? n.toFixed(0) : n.toFixed(1)) + ' ' + u[i];
  }
  if (typeof echarts === 'undefined') return;
  const days = JSON.parse(document.getElementById('dashboard-days').textContent);
  const online = JSON.parse(document.getElementById('dashboard-online').textContent);
  const bytesChart = echarts.init(document.getElementById('bytes-chart'));
  bytesChart.setOption({
    tooltip: { trigger: 'axis', valueFormatter: bytes },
    legend: { data: ['Logical (captured)', 'Stored (after dedup)'] },
    grid: { left: 70, right: 20, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: days.map(d => d.day) },
    yAxis: { type: 'value', axisLabel: { formatter: bytes } },
    series: [
      { name: 'Logical (captured)', type: 'line', areaStyle: {}, data: days.map(d => d.logicalBytes) },
      { name: 'Stored (after dedup)', type: 'line', areaStyle: {}, data: days.map(d => d.storedBytes) }
    ]
  });
  const hostsChart = echarts.init(document.getElementById('hosts-chart'));
  hostsChart.setOption({
    tooltip: { trigger: 'item' },
    series: [{
      type: 'pie', radius: ['45%', '70%'],
      data: [
        { name: 'online', value: online.online, itemStyle: { color: '#2e9e5b' } },
        { name: 'offline', value: online.total - online.online, itemStyle: { color: '#c0c4cc' } }
      ]
    }]
  });
  // Images as bars on the left axis, that day's bytes as lines on the right: a busy day and a
  // heavy day are different things (one large full image against many small incremental ones).
  // Same colours as the chart above for logical and stored bytes; images in grey behind them.
  const perDayChart = echarts.init(document.getElementById('per-day-chart'));
  perDayChart.setOption({
    color: ['#b4bac6', '#5470c6', '#91cc75'],
    tooltip: { trigger: 'axis' },
    legend: { data: ['Images', 'Logical bytes that day', 'Stored bytes that day'] },
    grid: { left: 50, right: 80, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: days.map(d => d.day) },
    yAxis: [
      { type: 'value', name: 'images', minInterval: 1 },
      { type: 'value', axisLabel: { formatter: bytes }, splitLine: { show: false } }
    ],
    series: [
      { name: 'Images', type: 'bar', data: days.map(d => d.images) },
      { name: 'Logical bytes that day', type: 'line', yAxisIndex: 1, data: days.map(d => d.dayLogicalBytes),
        tooltip: { valueFormatter: bytes } },
      { name: 'Stored bytes that day', type: 'line', yAxisIndex: 1, data: days.map(d => d.dayStoredBytes),
        tooltip: { valueFormatter: bytes } }
    ]
  });
  window.addEventListener('resize', () => { bytesChart.resize(); hostsChart.resize(); perDayChart.resize(); });
})();
