// Formatting of posting and review values for display (all return plain strings).

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const PER = { yearly: 'year', monthly: 'month', weekly: 'week', daily: 'day', hourly: 'hour' };

export const DIMENSIONS = [
  ['north_star', 'North star'],
  ['trajectory_mastery', 'Trajectory & mastery'],
  ['values_compass', 'Values compass'],
  ['lifestyle_alignment', 'Lifestyle'],
  ['compensation_philosophy', 'Compensation'],
];

export const STATUSES = ['pending_review', 'in_review', 'reviewed', 'error', 'duplicate', 'archived'];

export function statusLabel(status) {
  return String(status ?? '').replace(/_/g, ' ');
}

export function salary(job) {
  if (!job) return 'Salary not given';
  const min = job.minAmount == null ? null : Number(job.minAmount);
  const max = job.maxAmount == null ? null : Number(job.maxAmount);
  if (min == null && max == null) return 'Salary not given';
  const cur = job.currency ? `${job.currency} ` : '';
  const range = min != null && max != null && min !== max ? `${number.format(min)}–${number.format(max)}` : number.format(max ?? min);
  const per = PER[job.interval] ? ` / ${PER[job.interval]}` : '';
  return `${cur}${range}${per}`;
}

export function location(job) {
  if (!job) return '';
  const place = [job.locationCity, job.locationState, job.locationCountry].filter(Boolean).join(', ');
  const remote = job.isRemote === true ? 'Remote' : job.isRemote === false ? 'On-site' : '';
  return [place, remote].filter(Boolean).join(' · ') || 'Location not given';
}

export function score(value) {
  if (value == null || value === '') return '–';
  return Number(value).toFixed(1);
}

export function dateTime(value) {
  if (!value) return '–';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString('en-GB', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function ago(value, now = Date.now()) {
  if (!value) return '–';
  const s = Math.round((now - new Date(value).getTime()) / 1000);
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

export function percent(part, whole) {
  if (!whole) return '0%';
  const p = (100 * part) / whole;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)}%`;
}

export function decision(value) {
  return value === true ? 'Recommend' : value === false ? 'Do not recommend' : 'No decision';
}

/** The dimensions JSON of a review as [{key, label, score, summary}] (score 1-5 or null). */
export function dimensionRows(dimensions) {
  const dims = dimensions && typeof dimensions === 'object' ? dimensions : {};
  return DIMENSIONS.map(([key, label]) => {
    const d = dims[key] ?? {};
    const s = typeof d.score === 'number' ? d.score : null;
    return { key, label, score: s, summary: typeof d.summary === 'string' ? d.summary : '' };
  });
}
