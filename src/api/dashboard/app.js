// The Job Review dashboard: Overview, Inbox, Failures and a posting's detail,
// over the GraphQL API with the user's token. Preact renders every value as
// text (no innerHTML anywhere): posting text is untrusted.
import { h, render, Fragment } from './vendor/preact.js';
import { useCallback, useEffect, useRef, useState } from './vendor/hooks.js';
import { AuthError, gql, storedToken, storeToken, takeTokenFromUrl, tokenClaims } from './api.js';
import { drawRateChart, destroyChart } from './chart.js';
import * as f from './format.js';

const e = h;
const POLL_MS = 5000;

// ------------------------------------------------------------------ routing

function parseRoute(hash) {
  const path = hash.replace(/^#/, '');
  let m;
  if ((m = /^\/posting\/([0-9a-fA-F-]{36})$/.exec(path))) return { view: 'posting', id: m[1].toLowerCase() };
  if (path === '/inbox') return { view: 'inbox' };
  if (path === '/failures') return { view: 'failures' };
  return { view: 'overview' };
}

function useRoute() {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onHash = () => {
      const next = parseRoute(window.location.hash);
      setRoute((prev) => (prev.view === next.view && prev.id === next.id ? prev : next));
    };
    window.addEventListener('hashchange', onHash);
    // A change between the first render and this effect would be missed otherwise.
    onHash();
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

const TITLES = { overview: 'Overview', inbox: 'Inbox', failures: 'Failures', posting: 'Posting' };

// ------------------------------------------------------------------ data hooks

/** Runs `query` now, every `pollMs` (0: never) and on reload(); an AuthError signs the user out. */
function useQuery(session, query, variables, { pollMs = 0 } = {}) {
  const [state, setState] = useState({ data: null, error: null, loading: true, at: null });
  const vars = JSON.stringify(variables ?? {});
  const alive = useRef(true);
  const load = useCallback(async () => {
    try {
      const data = await gql(session.token, query, JSON.parse(vars));
      if (alive.current) setState({ data, error: null, loading: false, at: new Date() });
    } catch (error) {
      if (error instanceof AuthError) return session.signOut(`Signed out: ${error.message}.`);
      if (alive.current) setState((s) => ({ ...s, error: error.message, loading: false }));
    }
  }, [session.token, query, vars]);
  useEffect(() => {
    alive.current = true;
    setState((s) => ({ ...s, loading: true }));
    load();
    let timer = null;
    if (pollMs > 0) {
      timer = setInterval(() => {
        if (!document.hidden) load();
      }, pollMs);
    }
    return () => {
      alive.current = false;
      if (timer) clearInterval(timer);
    };
  }, [load, pollMs]);
  return { ...state, reload: load };
}

/** Runs a mutation, reporting success or failure in the status region. */
async function mutate(session, query, variables, success) {
  try {
    const data = await gql(session.token, query, variables);
    session.announce(typeof success === 'function' ? success(data) : success);
    return data;
  } catch (error) {
    if (error instanceof AuthError) session.signOut(`Signed out: ${error.message}.`);
    else session.announce(`Failed: ${error.message}`, 'error');
    return null;
  }
}

// ------------------------------------------------------------------ queries

const OVERVIEW = `query DashboardOverview {
  stats: jobReviewStats
  workers: reviewWorkers
  hour: reviewThroughput(windowMinutes: 60, bucketMinutes: 1) { nodes { bucketStart reviewed failed } }
  day: reviewThroughput(windowMinutes: 1440, bucketMinutes: 15) { nodes { bucketStart reviewed failed } }
}`;

const FAILURES = `query DashboardFailures {
  jobs(filter: { status: { equalTo: "error" } }, orderBy: [UPDATED_AT_DESC], first: 200) {
    totalCount
    nodes { rowId title company lastError reviewAttempts maxReviewAttempts updatedAt }
  }
}`;

const REQUEUE = `mutation DashboardRequeue($jobIds: [UUID]) {
  requeueFailedReviews(input: { jobIds: $jobIds }) { result { rowId status } }
}`;

const JOB_FIELDS = 'rowId title company minAmount maxAmount currency interval locationCity locationState locationCountry isRemote';

const INBOX = `query DashboardInbox {
  reviewInbox(first: 50) {
    totalCount
    nodes {
      jobId overallAlignmentScore confidence recommend tldrSummary dimensions reviewedAt
      job { ${JOB_FIELDS} }
    }
  }
}`;

const OVERRIDE = `mutation DashboardOverride($jobId: UUID!, $recommend: Boolean!, $comment: String) {
  overrideReview(input: { jobId: $jobId, recommend: $recommend, comment: $comment }) {
    result { jobId overrideRecommend overrideBy finalRecommend }
  }
}`;

const ARCHIVE = `mutation DashboardArchive($jobId: UUID!) { archiveJob(input: { jobId: $jobId }) { result { rowId status } } }`;

const POSTING = `query DashboardPosting($id: UUID!) {
  job(rowId: $id) {
    ${JOB_FIELDS} companyUrl site jobUrl status description datePosted ingestedAt updatedAt jobType
    lastError reviewAttempts maxReviewAttempts duplicateOf
    jobReview {
      recommend finalRecommend confidence rationale overallAlignmentScore tldrSummary dimensions preFilter
      tradeoffs actions crewOutput reviewer variant modelUsed processingTimeMs reviewedAt errorMessage
      overrideRecommend overrideComment overrideBy overrideAt
    }
    jobReviewOverrides(orderBy: [CREATED_AT_DESC]) {
      nodes { rowId overrideRecommend previousRecommend overrideComment overrideBy createdAt }
    }
  }
}`;

// ------------------------------------------------------------------ small pieces

function ErrorNote({ error }) {
  return error ? e('p', { class: 'error-note', role: 'alert' }, `Could not load: ${error}`) : null;
}

function Loading({ what }) {
  return e('p', { class: 'muted', 'aria-busy': 'true' }, `Loading ${what}…`);
}

function Tile({ label, value, hint, href, testid, tone }) {
  const body = [e('span', { class: 'tile-label' }, label), e('span', { class: 'tile-value', 'data-testid': testid }, String(value)), hint ? e('span', { class: 'tile-hint' }, hint) : null];
  return e('li', { class: `tile${tone ? ` tone-${tone}` : ''}` }, href ? e('a', { href, class: 'tile-link' }, body) : body);
}

function Badge({ status }) {
  return e('span', { class: `badge status-${status}` }, f.statusLabel(status));
}

/** A 1-5 score as a bar, with the number as text. */
function DimensionBar({ row, compact }) {
  const pct = row.score == null ? 0 : (row.score / 5) * 100;
  return e(
    'div',
    { class: `dim${compact ? ' dim-compact' : ''}` },
    e('span', { class: 'dim-label' }, row.label),
    e(
      'span',
      { class: 'dim-bar', role: 'img', 'aria-label': row.score == null ? `${row.label}: not assessed` : `${row.label}: ${row.score} of 5` },
      e('span', { class: `dim-fill score-${row.score ?? 0}`, style: { width: `${pct}%` } }),
    ),
    e('span', { class: 'dim-score', 'aria-hidden': 'true' }, row.score == null ? '–' : `${row.score}/5`),
    !compact && row.summary ? e('p', { class: 'dim-summary' }, row.summary) : null,
  );
}

function safeHref(url) {
  return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null;
}

// ------------------------------------------------------------------ Overview

function RateChart({ title, buckets, bucketMinutes, testid }) {
  const ref = useRef(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const ro = new ResizeObserver(() => setWidth(Math.floor(el.clientWidth)));
    ro.observe(el);
    return () => {
      ro.disconnect();
      destroyChart(el);
    };
  }, []);
  useEffect(() => {
    if (ref.current && buckets) drawRateChart(ref.current, buckets, bucketMinutes);
  }, [buckets, bucketMinutes, width]);
  const reviewed = (buckets ?? []).reduce((n, b) => n + b.reviewed, 0);
  const failed = (buckets ?? []).reduce((n, b) => n + b.failed, 0);
  const minutes = (buckets ?? []).length * bucketMinutes;
  const peak = Math.max(0, ...(buckets ?? []).map((b) => b.reviewed / bucketMinutes));
  const summary = `${reviewed} reviewed and ${failed} failed in the last ${minutes >= 120 ? `${Math.round(minutes / 60)} hours` : `${minutes} minutes`}: ${(reviewed / Math.max(minutes, 1)).toFixed(2)} per minute on average, peak ${peak.toFixed(peak < 10 ? 2 : 0)} per minute.`;
  return e(
    'figure',
    { class: 'chart-card' },
    e('figcaption', null, e('h3', null, title), e('p', { class: 'chart-summary', 'data-testid': testid }, summary)),
    e('div', { class: 'chart', ref, 'aria-hidden': 'true' }),
  );
}

function Overview({ session }) {
  const q = useQuery(session, OVERVIEW, {}, { pollMs: POLL_MS });
  if (!q.data) return e(Fragment, null, e(ErrorNote, { error: q.error }), q.error ? null : e(Loading, { what: 'the overview' }));
  const { stats, workers, hour, day } = q.data;
  const counts = stats?.job_status_counts ?? {};
  const queue = stats?.queue_info ?? {};
  const reviews = stats?.review_stats ?? {};
  const hourReviewed = hour.nodes.reduce((n, b) => n + b.reviewed, 0);
  const hourFailed = hour.nodes.reduce((n, b) => n + b.failed, 0);
  const total = f.STATUSES.reduce((n, s) => n + (counts[s] ?? 0), 0);
  return e(
    Fragment,
    null,
    e(ErrorNote, { error: q.error }),
    e(
      'p',
      { class: 'updated muted', 'aria-live': 'off' },
      `${total} postings · updated ${q.at ? q.at.toLocaleTimeString('en-GB') : '–'} · refreshes every ${POLL_MS / 1000} s`,
    ),
    e('h2', { id: 'status-heading' }, 'Postings by status'),
    e(
      'ul',
      { class: 'tiles', 'aria-labelledby': 'status-heading' },
      f.STATUSES.map((s) =>
        e(Tile, {
          key: s,
          label: f.statusLabel(s),
          value: counts[s] ?? 0,
          testid: `count-${s}`,
          href: s === 'error' ? '#/failures' : s === 'reviewed' ? '#/inbox' : null,
          tone: s === 'error' && counts[s] ? 'bad' : null,
        }),
      ),
    ),
    e('h2', { id: 'pipeline-heading' }, 'Pipeline'),
    e(
      'ul',
      { class: 'tiles', 'aria-labelledby': 'pipeline-heading' },
      e(Tile, { label: 'queue depth', value: (queue.waiting ?? 0) + (queue.running ?? 0) + (queue.scheduled ?? 0), hint: `${queue.waiting ?? 0} waiting · ${queue.running ?? 0} running · ${queue.scheduled ?? 0} scheduled`, testid: 'queue-depth' }),
      e(Tile, { label: 'reviews last hour', value: hourReviewed, hint: `${(hourReviewed / 60).toFixed(2)} per minute`, testid: 'reviews-last-hour' }),
      e(Tile, {
        label: 'error rate last hour',
        value: f.percent(hourFailed, hourReviewed + hourFailed),
        hint: `${hourFailed} failed of ${hourReviewed + hourFailed}`,
        testid: 'error-rate',
        tone: hourFailed ? 'bad' : null,
      }),
      e(Tile, {
        label: 'workers alive',
        value: workers?.alive ?? 0,
        hint: `concurrency ${workers?.concurrency ?? 0}${workers?.presumed_dead ? ` · ${workers.presumed_dead} presumed dead` : ''}`,
        testid: 'workers-alive',
        tone: workers?.alive ? 'good' : 'bad',
      }),
      e(Tile, {
        label: 'reviews stored',
        value: reviews.total_reviews ?? 0,
        hint: `${reviews.final_recommended ?? 0} recommended · ${reviews.overridden ?? 0} overridden · avg score ${f.score(reviews.avg_score)}`,
        testid: 'reviews-total',
      }),
    ),
    e('h2', null, 'Throughput'),
    e(
      'div',
      { class: 'charts' },
      e(RateChart, { title: 'Reviews per minute, last hour', buckets: hour.nodes, bucketMinutes: 1, testid: 'chart-hour' }),
      e(RateChart, { title: 'Reviews per minute, last day (15-minute buckets)', buckets: day.nodes, bucketMinutes: 15, testid: 'chart-day' }),
    ),
  );
}

// ------------------------------------------------------------------ Failures

function Failures({ session }) {
  const q = useQuery(session, FAILURES, {}, { pollMs: POLL_MS * 3 });
  const [busy, setBusy] = useState(false);
  const requeue = async (ids, what) => {
    setBusy(true);
    const data = await mutate(session, REQUEUE, { jobIds: ids }, (d) => {
      const n = d.requeueFailedReviews.result.length;
      return n ? `Requeued ${what} (${n} posting${n === 1 ? '' : 's'} back to pending review).` : `Nothing to requeue: ${what} is no longer failed.`;
    });
    setBusy(false);
    if (data) q.reload();
  };
  if (!q.data) return e(Fragment, null, e(ErrorNote, { error: q.error }), q.error ? null : e(Loading, { what: 'failures' }));
  const { totalCount, nodes } = q.data.jobs;
  return e(
    Fragment,
    null,
    e(ErrorNote, { error: q.error }),
    e(
      'div',
      { class: 'toolbar' },
      e('p', { 'data-testid': 'failure-count' }, totalCount === 0 ? 'No failed postings.' : `${totalCount} failed posting${totalCount === 1 ? '' : 's'}${totalCount > nodes.length ? ` (showing the ${nodes.length} most recent)` : ''}.`),
      session.operator && totalCount > 0
        ? e(
            'button',
            {
              type: 'button',
              class: 'btn',
              disabled: busy,
              onClick: () => {
                if (window.confirm(`Requeue all ${totalCount} failed postings?`)) requeue(null, `all failed postings`);
              },
            },
            `Requeue all (${totalCount})`,
          )
        : null,
      e('button', { type: 'button', class: 'btn btn-quiet', onClick: () => q.reload() }, 'Refresh'),
    ),
    e(
      'ul',
      { class: 'failures' },
      nodes.map((job) =>
        e(
          'li',
          { key: job.rowId, class: 'failure', 'data-job-id': job.rowId },
          e(
            'div',
            { class: 'failure-head' },
            e('h3', null, e('a', { href: `#/posting/${job.rowId}` }, job.title)),
            e('span', { class: 'muted' }, job.company),
          ),
          e('p', { class: 'failure-meta' }, `Attempts ${job.reviewAttempts}${job.maxReviewAttempts ? ` of ${job.maxReviewAttempts}` : ''} · failed ${f.ago(job.updatedAt)}`),
          e('pre', { class: 'failure-error' }, job.lastError ?? 'No error recorded.'),
          session.operator
            ? e('button', { type: 'button', class: 'btn', disabled: busy, 'aria-label': `Requeue ${job.title}`, onClick: () => requeue([job.rowId], `“${job.title}”`) }, 'Requeue')
            : null,
        ),
      ),
    ),
  );
}

// ------------------------------------------------------------------ Inbox

const SHORTCUTS = [
  ['j / ↓', 'next card'],
  ['k / ↑', 'previous card'],
  ['a', 'approve (recommend) the selected posting'],
  ['r', 'reject (do not recommend) the selected posting'],
  ['c', 'write a comment for the selected posting'],
  ['o / Enter', 'open the posting'],
  ['Esc', 'leave the comment box'],
  ['?', 'show or hide these shortcuts'],
];

function isTyping(target) {
  const tag = target?.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target?.isContentEditable;
}

function InboxCard({ review, selected, index, onSelect, onDecide, operator, busy }) {
  const job = review.job ?? {};
  const ref = useRef(null);
  const [comment, setComment] = useState('');
  useEffect(() => {
    // Follow the selection with the focus, unless the user is somewhere else
    // on the page (the navigation, another field).
    const active = document.activeElement;
    const free = !active || active === document.body || active.closest?.('.cards');
    if (selected && ref.current && free && !ref.current.contains(active)) {
      ref.current.focus({ preventScroll: true });
      ref.current.scrollIntoView({ block: 'nearest' });
    }
  }, [selected]);
  const rows = f.dimensionRows(review.dimensions);
  const titleId = `card-title-${review.jobId}`;
  const decide = (recommend) => onDecide(review, recommend, comment.trim() || null);
  return e(
    'li',
    {
      class: `card${selected ? ' selected' : ''}`,
      ref,
      tabIndex: -1,
      'aria-labelledby': titleId,
      'aria-current': selected ? 'true' : null,
      'data-job-id': review.jobId,
      onFocusIn: () => onSelect(index),
      onClick: () => onSelect(index),
    },
    e(
      'div',
      { class: 'card-head' },
      e(
        'div',
        null,
        e('h3', { id: titleId }, e('a', { href: `#/posting/${review.jobId}` }, job.title ?? 'Untitled')),
        e('p', { class: 'company' }, job.company ?? ''),
      ),
      e(
        'div',
        { class: 'score', 'aria-label': `score ${f.score(review.overallAlignmentScore)} of 10` },
        e('span', { class: 'score-value' }, f.score(review.overallAlignmentScore)),
        e('span', { class: 'score-of' }, '/10'),
      ),
    ),
    e(
      'p',
      { class: 'facts' },
      e('span', null, f.salary(job)),
      e('span', null, f.location(job)),
      e('span', null, `${review.confidence ?? '–'} confidence`),
      e('span', { class: review.recommend ? 'rec-yes' : 'rec-no' }, `Reviewer: ${f.decision(review.recommend)}`),
    ),
    e('p', { class: 'tldr' }, review.tldrSummary ?? ''),
    e('div', { class: 'dims' }, rows.map((row) => e(DimensionBar, { key: row.key, row, compact: true }))),
    operator
      ? e(
          'div',
          { class: 'decide' },
          e('label', { for: `comment-${review.jobId}`, class: 'visually-hidden' }, `Comment on ${job.title ?? 'this posting'} (optional)`),
          e('input', {
            id: `comment-${review.jobId}`,
            class: 'comment',
            type: 'text',
            placeholder: 'Comment (optional)',
            maxLength: 2000,
            value: comment,
            onInput: (ev) => setComment(ev.currentTarget.value),
            onKeyDown: (ev) => {
              if (ev.key === 'Escape') {
                ev.preventDefault();
                ref.current?.focus();
              } else if (ev.key === 'Enter') {
                ev.preventDefault();
                decide(true);
              }
            },
          }),
          e('button', { type: 'button', class: 'btn btn-yes', disabled: busy, 'aria-label': `Approve ${job.title ?? ''} (shortcut a)`, onClick: () => decide(true) }, 'Approve'),
          e('button', { type: 'button', class: 'btn btn-no', disabled: busy, 'aria-label': `Reject ${job.title ?? ''} (shortcut r)`, onClick: () => decide(false) }, 'Reject'),
        )
      : null,
  );
}

function Inbox({ session }) {
  const q = useQuery(session, INBOX, {});
  const [hidden, setHidden] = useState(() => new Set());
  const [selected, setSelected] = useState(0);
  const [busy, setBusy] = useState(false);
  const [help, setHelp] = useState(false);
  const listRef = useRef(null);
  const items = (q.data?.reviewInbox.nodes ?? []).filter((r) => !hidden.has(r.jobId));
  const current = Math.min(selected, Math.max(items.length - 1, 0));

  const decide = useCallback(
    async (review, recommend, comment) => {
      if (busy) return;
      setBusy(true);
      const title = review.job?.title ?? review.jobId;
      const data = await mutate(session, OVERRIDE, { jobId: review.jobId, recommend, comment }, `${recommend ? 'Approved' : 'Rejected'}: “${title}”.`);
      setBusy(false);
      if (data) {
        setHidden((prev) => new Set(prev).add(review.jobId));
        q.reload();
      }
    },
    [busy, session, q.reload],
  );

  useEffect(() => {
    const onKey = (ev) => {
      if (ev.ctrlKey || ev.metaKey || ev.altKey || isTyping(ev.target)) return;
      const review = items[current];
      const key = ev.key;
      if (key === '?') {
        setHelp((v) => !v);
      } else if (key === 'j' || key === 'ArrowDown') {
        setSelected(Math.min(current + 1, items.length - 1));
      } else if (key === 'k' || key === 'ArrowUp') {
        setSelected(Math.max(current - 1, 0));
      } else if (!review) {
        return;
      } else if (key === 'a' && session.operator) {
        decide(review, true, readComment(review.jobId));
      } else if (key === 'r' && session.operator) {
        decide(review, false, readComment(review.jobId));
      } else if (key === 'c' && session.operator) {
        document.getElementById(`comment-${review.jobId}`)?.focus();
      } else if (key === 'o' || (key === 'Enter' && ev.target === listRef.current?.children[current])) {
        window.location.hash = `#/posting/${review.jobId}`;
      } else {
        return;
      }
      ev.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [items, current, decide, session.operator]);

  if (!q.data) return e(Fragment, null, e(ErrorNote, { error: q.error }), q.error ? null : e(Loading, { what: 'the inbox' }));
  const total = Math.max(q.data.reviewInbox.totalCount - hidden.size, items.length);
  return e(
    Fragment,
    null,
    e(ErrorNote, { error: q.error }),
    e(
      'div',
      { class: 'toolbar' },
      e('p', { 'data-testid': 'inbox-count' }, items.length === 0 ? 'Inbox zero: every reviewed posting has a decision.' : `${total} review${total === 1 ? '' : 's'} to decide, best score first.`),
      e('button', { type: 'button', class: 'btn btn-quiet', 'aria-expanded': help ? 'true' : 'false', 'aria-controls': 'shortcut-help', onClick: () => setHelp((v) => !v) }, 'Keyboard shortcuts (?)'),
      e('button', { type: 'button', class: 'btn btn-quiet', onClick: () => { setHidden(new Set()); q.reload(); } }, 'Refresh'),
    ),
    help
      ? e(
          'dl',
          { id: 'shortcut-help', class: 'shortcuts' },
          SHORTCUTS.map(([k, what]) => e(Fragment, { key: k }, e('dt', null, e('kbd', null, k)), e('dd', null, what))),
        )
      : null,
    session.operator ? null : e('p', { class: 'muted' }, 'Your token is a viewer token: decisions need an operator token.'),
    e(
      'ul',
      { class: 'cards', ref: listRef, 'aria-label': 'Reviews to decide' },
      items.map((review, i) =>
        e(InboxCard, { key: review.jobId, review, index: i, selected: i === current, onSelect: setSelected, onDecide: decide, operator: session.operator, busy }),
      ),
    ),
  );
}

function readComment(jobId) {
  const el = document.getElementById(`comment-${jobId}`);
  const value = el ? el.value.trim() : '';
  return value || null;
}

// ------------------------------------------------------------------ Posting detail

function JsonBlock({ value }) {
  return e('pre', { class: 'json' }, value == null ? 'null' : JSON.stringify(value, null, 2));
}

function TextList({ items }) {
  if (!Array.isArray(items) || items.length === 0) return e('p', { class: 'muted' }, 'None.');
  return e('ul', { class: 'plain-list' }, items.map((item, i) => e('li', { key: i }, typeof item === 'string' ? item : JSON.stringify(item))));
}

function OverrideForm({ session, job, onDone }) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const decide = async (recommend) => {
    setBusy(true);
    const data = await mutate(session, OVERRIDE, { jobId: job.rowId, recommend, comment: comment.trim() || null }, `${recommend ? 'Approved' : 'Rejected'}: “${job.title}”.`);
    setBusy(false);
    if (data) {
      setComment('');
      onDone();
    }
  };
  return e(
    'div',
    { class: 'decide' },
    e('label', { for: 'detail-comment', class: 'visually-hidden' }, 'Comment (optional)'),
    e('input', { id: 'detail-comment', class: 'comment', type: 'text', placeholder: 'Comment (optional)', maxLength: 2000, value: comment, onInput: (ev) => setComment(ev.currentTarget.value) }),
    e('button', { type: 'button', class: 'btn btn-yes', disabled: busy, onClick: () => decide(true) }, 'Approve'),
    e('button', { type: 'button', class: 'btn btn-no', disabled: busy, onClick: () => decide(false) }, 'Reject'),
  );
}

function Posting({ session, id }) {
  const [poll, setPoll] = useState(0);
  const q = useQuery(session, POSTING, { id }, { pollMs: poll });
  const job = q.data?.job;
  useEffect(() => {
    // Watch a posting that is on its way through the queue.
    setPoll(job && (job.status === 'pending_review' || job.status === 'in_review') ? POLL_MS : 0);
  }, [job?.status]);
  useEffect(() => {
    if (job?.title) document.title = `${job.title} · Job Review`;
  }, [job?.title]);
  if (!q.data) return e(Fragment, null, e(ErrorNote, { error: q.error }), q.error ? null : e(Loading, { what: 'the posting' }));
  if (!job) return e('p', { role: 'alert' }, 'No posting has this id.');
  const review = job.jobReview;
  const overrides = job.jobReviewOverrides?.nodes ?? [];
  const href = safeHref(job.jobUrl);
  const companyHref = safeHref(job.companyUrl);
  const rows = review ? f.dimensionRows(review.dimensions) : [];
  const requeue = async () => {
    const data = await mutate(session, REQUEUE, { jobIds: [job.rowId] }, `Requeued “${job.title}”.`);
    if (data) q.reload();
  };
  const archive = async () => {
    if (!window.confirm(`Archive “${job.title}”? It leaves the pipeline.`)) return;
    const data = await mutate(session, ARCHIVE, { jobId: job.rowId }, `Archived “${job.title}”.`);
    if (data) q.reload();
  };
  return e(
    'article',
    { class: 'posting' },
    e(ErrorNote, { error: q.error }),
    e('p', null, e('a', { href: '#/inbox' }, '← Inbox'), ' · ', e('a', { href: '#/failures' }, 'Failures')),
    e(
      'header',
      { class: 'posting-head' },
      e('div', null, e('h2', { 'data-testid': 'posting-title' }, job.title), e('p', { class: 'company' }, companyHref ? e('a', { href: companyHref, rel: 'noopener noreferrer', target: '_blank' }, job.company) : job.company)),
      e(Badge, { status: job.status }),
    ),
    e(
      'dl',
      { class: 'facts-grid' },
      e('dt', null, 'Salary'), e('dd', null, f.salary(job)),
      e('dt', null, 'Location'), e('dd', null, f.location(job)),
      e('dt', null, 'Job type'), e('dd', null, job.jobType ?? '–'),
      e('dt', null, 'Posted'), e('dd', null, job.datePosted ?? '–'),
      e('dt', null, 'Source'), e('dd', null, href ? e('a', { href, rel: 'noopener noreferrer', target: '_blank' }, job.site) : job.site),
      e('dt', null, 'Attempts'), e('dd', null, `${job.reviewAttempts}${job.maxReviewAttempts ? ` of ${job.maxReviewAttempts}` : ''}`),
      job.lastError ? e(Fragment, null, e('dt', null, 'Last error'), e('dd', null, e('pre', { class: 'failure-error' }, job.lastError))) : null,
    ),
    session.operator
      ? e(
          'div',
          { class: 'toolbar' },
          job.status === 'error' ? e('button', { type: 'button', class: 'btn', onClick: requeue }, 'Requeue') : null,
          job.status !== 'archived' ? e('button', { type: 'button', class: 'btn btn-quiet', onClick: archive }, 'Archive') : null,
        )
      : null,
    e('h3', null, 'Review'),
    !review
      ? e('p', { class: 'muted' }, 'Not reviewed yet.')
      : review.errorMessage
        ? e('p', { class: 'error-note' }, `The review failed: ${review.errorMessage}`)
        : e(
            Fragment,
            null,
            e(
              'div',
              { class: 'review-summary' },
              e('div', { class: 'score', 'aria-label': `score ${f.score(review.overallAlignmentScore)} of 10` }, e('span', { class: 'score-value' }, f.score(review.overallAlignmentScore)), e('span', { class: 'score-of' }, '/10')),
              e(
                'div',
                null,
                e('p', null, e('strong', null, `Reviewer: ${f.decision(review.recommend)}`), ` · ${review.confidence ?? '–'} confidence`),
                e('p', null, e('strong', null, `Final decision: ${f.decision(review.finalRecommend)}`), review.overrideBy ? ` (overridden by ${review.overrideBy}, ${f.dateTime(review.overrideAt)})` : ''),
                e('p', { class: 'muted' }, `${review.reviewer ?? 'unknown reviewer'}${review.variant ? ` · variant ${review.variant}` : ''}${review.modelUsed ? ` · ${review.modelUsed}` : ''} · ${review.processingTimeMs ?? '–'} ms · ${f.dateTime(review.reviewedAt)}`),
              ),
            ),
            e('p', { class: 'tldr' }, review.tldrSummary ?? ''),
            e('h4', null, 'Rationale'),
            e('p', { class: 'rationale' }, review.rationale ?? ''),
            review.preFilter && review.preFilter.recommend === false ? e('p', { class: 'error-note' }, `Pre-filter: ${review.preFilter.reason ?? 'rejected'}`) : null,
            e('h4', null, 'Dimensions'),
            e('div', { class: 'dims dims-wide' }, rows.map((row) => e(DimensionBar, { key: row.key, row }))),
            e('div', { class: 'two-col' }, e('section', null, e('h4', null, 'Trade-offs'), e(TextList, { items: review.tradeoffs })), e('section', null, e('h4', null, 'Actions'), e(TextList, { items: review.actions }))),
            session.operator ? e(Fragment, null, e('h4', null, 'Your decision'), e(OverrideForm, { session, job, onDone: q.reload })) : null,
            e('details', { class: 'raw' }, e('summary', null, 'Raw reviewer output'), e(JsonBlock, { value: review.crewOutput })),
          ),
    e('h3', null, 'Override history'),
    overrides.length === 0
      ? e('p', { class: 'muted', 'data-testid': 'override-history' }, 'No overrides.')
      : e(
          'ol',
          { class: 'history', 'data-testid': 'override-history' },
          overrides.map((o) =>
            e(
              'li',
              { key: o.rowId },
              e('strong', null, f.decision(o.overrideRecommend)),
              ` by ${o.overrideBy}, ${f.dateTime(o.createdAt)} (was: ${f.decision(o.previousRecommend)})`,
              o.overrideComment ? e('blockquote', null, o.overrideComment) : null,
            ),
          ),
        ),
    e('h3', null, 'Description'),
    job.description ? e('div', { class: 'description', 'data-testid': 'description' }, job.description) : e('p', { class: 'muted' }, 'No description.'),
  );
}

// ------------------------------------------------------------------ sign in

function SignIn({ onToken, message }) {
  const [value, setValue] = useState('');
  return e(
    'main',
    { id: 'main', class: 'signin' },
    e('h1', null, 'Job Review'),
    e('h2', null, 'Sign in'),
    message ? e('p', { class: 'error-note', role: 'alert' }, message) : null,
    e('p', null, 'Paste an API token. ', e('code', null, 'job-review start'), ' prints a link that signs you in; ', e('code', null, 'job-review token --role operator --sub NAME'), ' mints one. It is kept in this browser until you sign out.'),
    e(
      'form',
      {
        onSubmit: (ev) => {
          ev.preventDefault();
          const token = value.trim();
          if (token) onToken(token);
        },
      },
      e('label', { for: 'token-input' }, 'API token'),
      e('input', { id: 'token-input', type: 'password', autocomplete: 'off', spellcheck: false, required: true, value, onInput: (ev) => setValue(ev.currentTarget.value) }),
      e('button', { type: 'submit', class: 'btn' }, 'Sign in'),
    ),
  );
}

// ------------------------------------------------------------------ the shell

function Shell({ session, route }) {
  const mainRef = useRef(null);
  useEffect(() => {
    document.title = `${TITLES[route.view]} · Job Review`;
  }, [route.view, route.id]);
  const nav = [
    ['overview', '#/overview', 'Overview'],
    ['inbox', '#/inbox', 'Inbox'],
    ['failures', '#/failures', 'Failures'],
  ];
  const view =
    route.view === 'inbox'
      ? e(Inbox, { session })
      : route.view === 'failures'
        ? e(Failures, { session })
        : route.view === 'posting'
          ? e(Posting, { session, id: route.id, key: route.id })
          : e(Overview, { session });
  return e(
    Fragment,
    null,
    e('a', { class: 'skip', href: '#main', onClick: (ev) => { ev.preventDefault(); mainRef.current?.focus(); } }, 'Skip to content'),
    e(
      'header',
      { class: 'top' },
      e('h1', null, e('a', { href: '#/overview', class: 'brand' }, 'Job Review')),
      e(
        'nav',
        { 'aria-label': 'Views' },
        e('ul', null, nav.map(([v, href, label]) => e('li', { key: v }, e('a', { href, 'aria-current': route.view === v ? 'page' : null }, label)))),
      ),
      e(
        'div',
        { class: 'who' },
        e('span', { class: 'muted', 'data-testid': 'who' }, `${session.claims?.sub ?? '?'} (${session.claims?.role ?? '?'})`),
        e('button', { type: 'button', class: 'btn btn-quiet', onClick: () => session.signOut(null) }, 'Sign out'),
      ),
    ),
    e('main', { id: 'main', ref: mainRef, tabIndex: -1 }, e('h2', { class: 'visually-hidden' }, TITLES[route.view]), view),
    e('div', { class: `toast${session.message ? ` toast-${session.message.kind}` : ''}`, role: 'status', 'aria-live': 'polite', 'data-testid': 'status' }, session.message?.text ?? ''),
  );
}

function App() {
  const [token, setToken] = useState(() => {
    const fromUrl = takeTokenFromUrl();
    if (fromUrl) storeToken(fromUrl);
    return fromUrl ?? storedToken();
  });
  const [signInMessage, setSignInMessage] = useState(null);
  const [message, setMessage] = useState(null);
  const route = useRoute();
  const claims = token ? tokenClaims(token) : null;
  const expired = claims?.exp != null && claims.exp * 1000 < Date.now();

  const signOut = useCallback((why) => {
    storeToken(null);
    setToken(null);
    setSignInMessage(why);
  }, []);
  useEffect(() => {
    if (token && (!claims || expired)) signOut(!claims ? 'That is not an API token.' : 'Your token has expired: paste a new one.');
  }, [token]);
  const timer = useRef(null);
  const announce = useCallback((text, kind = 'ok') => {
    setMessage({ text, kind });
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setMessage(null), 6000);
  }, []);

  if (!token || !claims || expired) {
    document.title = 'Sign in · Job Review';
    return e(SignIn, {
      message: signInMessage,
      onToken: (t) => {
        storeToken(t);
        setSignInMessage(null);
        setToken(t);
      },
    });
  }
  const session = { token, claims, operator: claims.role === 'operator', signOut, announce, message };
  return e(Shell, { session, route });
}

render(e(App), document.getElementById('app'));
