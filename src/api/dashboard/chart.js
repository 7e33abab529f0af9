// A time-series chart (uPlot) of reviews and failures per minute, sized to
// its container and redrawn in place when the data changes. The canvas is
// decorative for assistive technology: the caller puts the same figures in
// text next to it.
import uPlot from './vendor/uplot.js';

const COLORS = { reviewed: '#2b6cb0', failed: '#c53030' };

function options(width, height, spanMinutes) {
  const bars = uPlot.paths.bars({ size: [0.8, 12] });
  return {
    width,
    height,
    legend: { show: true, live: false },
    cursor: { show: true, drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
    axes: [
      {
        stroke: '#4a5568',
        grid: { stroke: '#edf2f7' },
        ticks: { stroke: '#cbd5e0' },
        values: (_u, ticks) =>
          ticks.map((t) => new Date(t * 1000).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })),
        space: spanMinutes > 120 ? 70 : 55,
      },
      { stroke: '#4a5568', grid: { stroke: '#edf2f7' }, ticks: { stroke: '#cbd5e0' }, size: 45 },
    ],
    series: [
      {},
      { label: 'reviewed / min', stroke: COLORS.reviewed, fill: 'rgba(43,108,176,0.35)', width: 1, paths: bars, points: { show: false } },
      { label: 'failed / min', stroke: COLORS.failed, width: 2, points: { show: false } },
    ],
  };
}

/**
 * Mounts or updates a chart in `el`. `buckets` are {bucketStart, reviewed, failed};
 * counts are divided by `bucketMinutes` to give a per-minute rate.
 */
export function drawRateChart(el, buckets, bucketMinutes) {
  const xs = buckets.map((b) => Math.floor(new Date(b.bucketStart).getTime() / 1000));
  const reviewed = buckets.map((b) => (b.reviewed ?? 0) / bucketMinutes);
  const failed = buckets.map((b) => (b.failed ?? 0) / bucketMinutes);
  const data = [xs, reviewed, failed];
  const width = Math.max(240, Math.floor(el.clientWidth || 300));
  const height = width < 500 ? 160 : 200;
  const span = buckets.length * bucketMinutes;
  if (el.__chart && el.__chartWidth === width) {
    el.__chart.setData(data);
    return;
  }
  if (el.__chart) el.__chart.destroy();
  el.__chart = new uPlot(options(width, height, span), data, el);
  el.__chartWidth = width;
}

export function destroyChart(el) {
  if (el && el.__chart) {
    el.__chart.destroy();
    el.__chart = null;
  }
}
