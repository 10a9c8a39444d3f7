// SPDX-License-Identifier: Apache-2.0
// Live status: poll the API (same session, GET needs no CSRF token) for requests that are not finished.
(function () {
  const finished = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
  async function refresh() {
    const rows = [...document.querySelectorAll('tr.restore-row')]
      .filter(r => !finished.has(r.querySelector('[data-field=state]').textContent.trim()));
    for (const row of rows) {
      try {
        const res = await fetch('/api/restores/' + row.dataset.id, { headers: { Accept: 'application/json' } });
        if (!res.ok) continue;
        const r = await res.json();
        const state = row.querySelector('[data-field=state]');
        state.textContent = r.state;
        state.className = 'state ' + r.state;
        row.querySelector('[data-field=detail]').textContent = r.error ? r.error : (r.restoredPid ? 'pid ' + r.restoredPid : '');
      } catch (e) { /* try again next round */ }
    }
  }
  setInterval(refresh, 3000);
})();
