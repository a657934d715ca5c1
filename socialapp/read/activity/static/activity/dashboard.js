// The staff dashboard: polls the JSON endpoint (data-url) every data-refresh-seconds and draws
// its series with Chart.js (global `Chart`, from Debian's libjs-chart.js). No framework.
(function () {
  "use strict";
  const root = document.getElementById("dashboard");
  const select = document.getElementById("dashboard-window");
  const status = document.getElementById("dashboard-status");
  const totals = document.getElementById("dashboard-totals");
  const refreshMs = 1000 * Number(root.dataset.refreshSeconds || 5);
  const MAX_SERIES = 8; // the busiest types; the rest are left out of the charts
  const COLOURS = ["#417690", "#e6a23c", "#5aa05a", "#c0392b", "#8e44ad", "#16a085", "#7f8c8d", "#d35400"];
  const charts = {};
  window.dashboardFetches = 0; // read by the browser test

  function label(iso, bucketSeconds) {
    const d = new Date(iso);
    const time = d.toISOString().slice(11, 16);
    return bucketSeconds >= 3600 ? d.toISOString().slice(5, 10) + " " + time : time;
  }

  function datasets(series, key) {
    return series.slice(0, MAX_SERIES).map((s, i) => ({
      label: s.name,
      data: s[key],
      borderColor: COLOURS[i % COLOURS.length],
      backgroundColor: COLOURS[i % COLOURS.length],
      spanGaps: true,
      pointRadius: 0,
      borderWidth: 2,
    }));
  }

  function draw(id, type, labels, sets, extra) {
    if (typeof Chart === "undefined") return;
    const chart = charts[id];
    if (chart) {
      chart.data.labels = labels;
      chart.data.datasets = sets;
      chart.update("none");
      return;
    }
    charts[id] = new Chart(document.getElementById(id), {
      type: type,
      data: { labels: labels, datasets: sets },
      options: Object.assign(
        { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true } } },
        extra || {}
      ),
    });
  }

  function render(data) {
    const labels = data.buckets.map((b) => label(b, data.bucket_seconds));
    const sum = (series) => series.reduce((n, s) => n + s.total, 0);
    totals.textContent =
      `Window ${data.window} (buckets of ${data.bucket_seconds / 60} min): ${sum(data.commands)} commands, ` +
      `${sum(data.events)} events, ${data.active_users.total} active users, ` +
      `${data.posts_per_hour.values.reduce((a, b) => a + b, 0)} posts in the posts chart.`;
    draw("chart-commands", "line", labels, datasets(data.commands, "values"));
    draw("chart-events", "line", labels, datasets(data.events, "values"));
    draw("chart-users", "line", labels, [
      { label: "active users", data: data.active_users.values, borderColor: COLOURS[0], pointRadius: 0 },
    ]);
    draw(
      "chart-posts",
      "bar",
      data.posts_per_hour.buckets.map((b) => label(b, 3600)),
      [{ label: "posts", data: data.posts_per_hour.values, backgroundColor: COLOURS[2] }]
    );
    document.getElementById("tags-empty").hidden = data.top_tags.length > 0;
    draw(
      "chart-tags",
      "bar",
      data.top_tags.map((t) => "#" + t.name),
      [{ label: "score", data: data.top_tags.map((t) => t.score), backgroundColor: COLOURS[1] }],
      { indexAxis: "y" }
    );
    draw("chart-lag", "line", labels, datasets(data.projections, "lag"));
    draw("chart-dead", "line", labels, datasets(data.projections, "dead"));
  }

  let timer = null;
  async function refresh() {
    clearTimeout(timer);
    try {
      const response = await fetch(`${root.dataset.url}?window=${encodeURIComponent(select.value)}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      render(await response.json());
      window.dashboardFetches += 1;
      status.textContent = "updated " + new Date().toLocaleTimeString();
    } catch (error) {
      status.textContent = "refresh failed: " + error.message;
    }
    timer = setTimeout(refresh, refreshMs);
  }

  select.addEventListener("change", () => {
    const url = new URL(window.location);
    url.searchParams.set("window", select.value);
    window.history.replaceState(null, "", url);
    refresh();
  });
  refresh();
})();
