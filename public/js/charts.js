/**
 * Chart.js (loaded as the UMD build from /vendor/chart.umd.min.js, which defines the global
 * `Chart`) with the dashboard's defaults: responsive, no animation delay worth waiting for, and
 * colours that read on light and dark backgrounds.
 */

/** The Chart constructor, or an error when the vendor file did not load. */
export function chartLibrary() {
  const library = globalThis.Chart;
  if (typeof library !== "function") throw new Error("Chart.js did not load (/vendor/chart.umd.min.js)");
  return library;
}

/** Series colours, in order. */
export const palette = ["#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2"];

/**
 * Creates a chart on `canvas`, or replaces the data and options of the chart already there
 * (so inputs can change it many times without leaking charts).
 */
export function drawChart(canvas, config) {
  const Chart = chartLibrary();
  const existing = Chart.getChart(canvas);
  if (existing && existing.config.type === config.type) {
    existing.data = config.data;
    existing.options = withDefaults(config.options);
    existing.update();
    return existing;
  }
  existing?.destroy();
  return new Chart(canvas, { ...config, options: withDefaults(config.options) });
}

function withDefaults(options = {}) {
  const narrow = window.matchMedia("(max-width: 600px)").matches;
  const plugins = options.plugins ?? {};
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: { duration: 200 },
    interaction: { mode: "nearest", intersect: false },
    ...options,
    plugins: {
      ...plugins,
      legend: {
        ...plugins.legend,
        labels: { boxWidth: narrow ? 10 : 24, font: { size: narrow ? 10 : 12 }, ...plugins.legend?.labels },
      },
    },
  };
}
