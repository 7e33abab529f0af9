// The dashboard in a real browser (Debian's Chromium through playwright-core)
// against a real API server on a loopback port, a real review worker and a
// real PostgreSQL: what it shows is what the database holds, its buttons
// change the database, posting text is never executed, and without a token
// it shows nothing. Screenshots of every view at 1280 and 390 px wide go to
// test/artifacts/dashboard/.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { signToken } from '../../src/api/auth.ts';
import { CONTENT_SECURITY_POLICY } from '../../src/api/dashboard/serve.ts';
import { startApiServer } from '../../src/api/server.ts';
import { startReviewWorker } from '../../src/worker/runner.ts';
import { fixturePostings, insertPostings } from '../fixtures/postings.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { quietLog, statusCounts, testConfig, waitFor } from '../helpers/worker.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/dashboard/', import.meta.url));
const WIDTHS = [1280, 390] as const;
const SECRET = 'dashboard-test-secret-0123456789abcdef';
const XSS_DESCRIPTION = [
  'Great team.',
  '<script>window.__pwned = "script"; document.title = "pwned";</script>',
  '<img src="x" onerror="window.__pwned = \'img\'">',
  '**Markdown** stays text: [link](javascript:alert(1))',
].join('\n');
const XSS_TITLE = 'Senior Engineer <img src=x onerror="window.__pwned=\'title\'">';

const NO_CHROMIUM = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)`;

t.test('dashboard', { skip: NO_CHROMIUM }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const { pool } = await createTestDatabase(t, { poolSize: 10 });
  const config = testConfig();
  const log = quietLog();
  const api = await startApiServer({ pool, config, log, jwtSecret: SECRET, host: '127.0.0.1', port: 0 });
  t.teardown(() => api.close());
  const operator = await signToken({ secret: SECRET, role: 'operator', sub: 'dash-tester', expiresInSeconds: 3600 });
  const viewer = await signToken({ secret: SECRET, role: 'viewer', sub: 'dash-viewer', expiresInSeconds: 3600 });

  // A pipeline with history: 24 fixture postings and one hostile one,
  // reviewed by a real worker; then three of them made to fail.
  let worker: Awaited<ReturnType<typeof startReviewWorker>> | undefined = await startReviewWorker({ pool, config, log, concurrency: 4 });
  t.teardown(() => worker?.stop());
  const ids = await insertPostings(pool, fixturePostings(24, 'dash'));
  const { rows: xssRows } = await pool.query(
    `insert into app.jobs (site, job_url, title, company, description, is_remote, "interval", min_amount, max_amount, currency)
     values ('fixture', 'https://jobs.example/dash/xss', $1, 'Evil <b>Corp</b>', $2, true, 'yearly', 200000, 250000, 'USD') returning id`,
    [XSS_TITLE, XSS_DESCRIPTION],
  );
  const xssId: string = xssRows[0].id;
  await waitFor('every posting reviewed', async () => (await statusCounts(pool)).reviewed === 25, 60_000);
  const failedIds = ids.slice(0, 3);
  await pool.query(
    `with f as (
       update app.jobs set status = 'error', review_attempts = 3,
              last_error = 'openai: HTTP 503 from the endpoint (attempt 3)'
        where id = any ($1::uuid[]) returning id)
     update app.job_reviews r set recommend = null, confidence = null, rationale = null, overall_alignment_score = null,
            tldr_summary = null, dimensions = null, error_message = 'openai: HTTP 503 from the endpoint', retry_count = 2
       from f where r.job_id = f.id`,
    [failedIds],
  );

  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => browser.close());

  /** A fresh browser profile (no stored token) at a width; collects page errors and CSP violations. */
  async function open(width: number, path = '/'): Promise<{ context: BrowserContext; page: Page; problems: string[]; graphqlRequests: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: width < 500 ? 844 : 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const problems: string[] = [];
    const graphqlRequests: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('request', (req) => {
      if (new URL(req.url()).pathname === '/graphql') graphqlRequests.push(req.postData() ?? '');
    });
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${api.url}${path}`);
    return { context, page, problems, graphqlRequests };
  }

  async function shot(page: Page, name: string, width: number) {
    await page.evaluate(() => document.fonts.ready);
    await page.screenshot({ path: `${ARTIFACTS}${name}-${width}.png`, fullPage: true });
  }

  /** Every control has an accessible name and none is kept out of the tab order. */
  async function checkControls(t: Test, page: Page, what: string) {
    const bad = await page.evaluate(() => {
      const out: string[] = [];
      for (const el of Array.from(document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, summary'))) {
        const labelled =
          el.getAttribute('aria-label') ||
          (el.getAttribute('aria-labelledby') && document.getElementById(el.getAttribute('aria-labelledby')!)?.textContent) ||
          ((el as HTMLInputElement).labels && Array.from((el as HTMLInputElement).labels ?? []).some((l) => l.textContent?.trim())) ||
          (el.tagName !== 'INPUT' && el.textContent?.trim());
        if (!labelled) out.push(`${el.tagName.toLowerCase()} without a label: ${el.outerHTML.slice(0, 120)}`);
        if (el.tabIndex < 0) out.push(`${el.tagName.toLowerCase()} not reachable by Tab: ${el.outerHTML.slice(0, 120)}`);
      }
      return out;
    });
    t.same(bad, [], `${what}: every control is labelled and keyboard reachable`);
  }

  async function noHorizontalScroll(t: Test, page: Page, width: number, what: string) {
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    t.ok(scrollWidth <= width, `${what} at ${width}px: no horizontal scrolling (scrollWidth ${scrollWidth})`);
  }

  await t.test('the assets are served with a strict CSP and the right types', async (t) => {
    for (const [path, type] of [
      ['/', 'text/html'],
      ['/dashboard/app.js', 'text/javascript'],
      ['/dashboard/style.css', 'text/css'],
      ['/dashboard/vendor/preact.js', 'text/javascript'],
      ['/dashboard/vendor/hooks.js', 'text/javascript'],
      ['/dashboard/vendor/uplot.js', 'text/javascript'],
      ['/dashboard/vendor/uplot.css', 'text/css'],
    ] as const) {
      const res = await fetch(`${api.url}${path}`);
      t.equal(res.status, 200, `${path} 200`);
      t.match(res.headers.get('content-type'), type, `${path} is ${type}`);
      t.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, `${path} has the CSP`);
      t.equal(res.headers.get('x-content-type-options'), 'nosniff');
      await res.arrayBuffer();
    }
    t.match(CONTENT_SECURITY_POLICY, /default-src 'self'/);
    t.notMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval/);
    const html = await (await fetch(`${api.url}/`)).text();
    t.notMatch(html, /<script>(?!<)|<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script in the page');
    t.equal((await fetch(`${api.url}/dashboard/nope.js`)).status, 404, 'unknown asset: 404');
    t.equal((await fetch(`${api.url}/dashboard/../package.json`)).status, 404, 'no path traversal');
    t.equal((await fetch(`${api.url}/dashboard/app.js`, { method: 'POST' })).status, 405);
  });

  await t.test('without a token the page asks for one and shows no data', async (t) => {
    for (const width of WIDTHS) {
      const { context, page, problems, graphqlRequests } = await open(width);
      await page.getByLabel('API token').waitFor();
      t.ok(await page.getByRole('button', { name: 'Sign in' }).isVisible(), 'a sign-in button');
      t.equal(await page.locator('[data-testid^="count-"]').count(), 0, 'no counts');
      t.equal(await page.getByRole('navigation').count(), 0, 'no navigation into the data');
      await page.waitForTimeout(300);
      t.same(graphqlRequests, [], 'no API request without a token');
      await checkControls(t, page, 'sign-in');
      await shot(page, 'signin', width);
      // A token signed with another secret is refused and nothing is shown.
      const forged = await signToken({ secret: 'another-secret-entirely-xxxxxxxxxxxx', role: 'operator', sub: 'mallory', expiresInSeconds: 600 });
      await page.getByLabel('API token').fill(forged);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: /signature/ }).waitFor();
      t.ok(await page.getByLabel('API token').isVisible(), 'asked again after a bad token');
      t.equal(await page.locator('[data-testid^="count-"]').count(), 0, 'still no counts');
      t.equal(await page.evaluate(() => localStorage.getItem('job-review.token')), null, 'the bad token is not kept');
      t.same(problems.filter((p) => !/401/.test(p)), [], 'no page errors');
      await context.close();
    }
  });

  await t.test('overview: the counts in the database, live', async (t) => {
    for (const width of WIDTHS) {
      const { context, page, problems } = await open(width, `/#token=${operator}`);
      await page.getByTestId('count-reviewed').waitFor();
      t.notMatch(page.url(), /token=/, 'the token leaves the address bar');
      t.equal(await page.evaluate(() => localStorage.getItem('job-review.token')), operator, 'the token is kept');
      const counts = await statusCounts(pool);
      for (const status of ['pending_review', 'in_review', 'reviewed', 'error', 'duplicate', 'archived']) {
        t.equal(await page.getByTestId(`count-${status}`).textContent(), String(counts[status] ?? 0), `${status}: ${counts[status] ?? 0}`);
      }
      const { rows: [figures] } = await pool.query(`select app.job_review_stats() -> 'queue_info' as q, app.review_workers() as w`);
      t.equal(await page.getByTestId('queue-depth').textContent(), String(figures.q.waiting + figures.q.running + figures.q.scheduled), 'queue depth');
      t.equal(await page.getByTestId('workers-alive').textContent(), String(figures.w.alive), `workers alive: ${figures.w.alive}`);
      t.ok(figures.w.alive >= 1, 'the running worker is alive');
      t.equal(await page.getByTestId('reviews-last-hour').textContent(), '22', 'reviews in the last hour (the 3 failed ones count as failures)');
      t.match(await page.getByTestId('error-rate').textContent(), /%$/, 'an error rate');
      t.match(await page.getByTestId('chart-hour').textContent(), /^22 reviewed and 3 failed in the last 60 minutes/);
      t.equal(await page.locator('.chart canvas').count(), 2, 'two charts drawn');
      await checkControls(t, page, 'overview');
      await noHorizontalScroll(t, page, width, 'overview');
      await shot(page, 'overview', width);
      if (width === 1280) {
        // Live: a change in the database shows up without a reload.
        await pool.query(`update app.jobs set status = 'archived' where id = $1`, [ids[10]]);
        await page.getByTestId('count-archived').filter({ hasText: '1' }).waitFor({ timeout: 15_000 });
        t.pass('the overview updated itself');
        await pool.query(`update app.jobs set status = 'reviewed' where id = $1`, [ids[10]]);
      }
      t.same(problems, [], 'no page errors');
      await context.close();
    }
  });

  // From here on nothing may review behind the test's back.
  await worker.stop();
  worker = undefined;

  await t.test('failures: requeue one, then all', async (t) => {
    const { rows: titles } = await pool.query(`select id, title from app.jobs where id = any ($1::uuid[])`, [failedIds]);
    for (const width of WIDTHS) {
      const { context, page, problems } = await open(width, `/#token=${operator}`);
      await page.getByRole('link', { name: 'Failures' }).click();
      await page.getByTestId('failure-count').filter({ hasText: '3 failed postings' }).waitFor();
      t.equal(await page.locator('.failure').count(), 3);
      t.equal(await page.getByText('openai: HTTP 503 from the endpoint (attempt 3)').count(), 3, 'each one with its last error');
      t.equal(await page.getByText('Attempts 3').count(), 3, 'and its attempts');
      await checkControls(t, page, 'failures');
      await noHorizontalScroll(t, page, width, 'failures');
      await shot(page, 'failures', width);
      t.same(problems, [], 'no page errors');
      await context.close();
    }

    const { context, page, problems } = await open(1280, `/#token=${operator}`);
    await page.goto(`${api.url}/#/failures`);
    const one = titles[0];
    await page.getByRole('button', { name: `Requeue ${one.title}` }).click();
    await page.getByTestId('status').filter({ hasText: 'Requeued' }).waitFor();
    const { rows: [job] } = await pool.query(`select status, review_attempts, last_error from app.jobs where id = $1`, [one.id]);
    t.equal(job.status, 'pending_review', 'back to pending_review');
    t.equal(job.review_attempts, 0, 'attempts start again');
    const { rows: queued } = await pool.query(`select id, run_at from graphile_worker.jobs where key = $1 and task_identifier = 'review_job'`, [`review:${one.id}`]);
    t.equal(queued.length, 1, 'a graphile-worker queue entry exists');
    await page.getByTestId('failure-count').filter({ hasText: '2 failed postings' }).waitFor();
    t.equal(await page.locator(`[data-job-id="${one.id}"]`).count(), 0, 'gone from the list');

    await page.getByRole('button', { name: /Requeue all \(2\)/ }).click(); // the confirm() is accepted
    await page.getByTestId('failure-count').filter({ hasText: 'No failed postings' }).waitFor();
    const { rows: left } = await pool.query(`select count(*)::int n from app.jobs where status = 'error'`);
    t.equal(left[0].n, 0, 'no failed posting left');
    const { rows: entries } = await pool.query(`select count(*)::int n from graphile_worker.jobs where key = any ($1::text[])`, [failedIds.map((id) => `review:${id}`)]);
    t.equal(entries[0].n, 3, 'all three queued');
    t.same(problems, [], 'no page errors');
    await context.close();
  });

  await t.test('inbox: best score first; approve by click, reject and approve by keyboard', async (t) => {
    const inboxOrder = async () => (await pool.query(`select job_id from app.review_inbox()`)).rows.map((r) => r.job_id as string);
    const before = await inboxOrder();
    t.ok(before.length >= 10, `an inbox to work through (${before.length})`);
    for (const width of WIDTHS) {
      const { context, page, problems } = await open(width, `/#token=${operator}`);
      await page.getByRole('link', { name: 'Inbox' }).click();
      await page.locator('.card').first().waitFor();
      const shown = await page.locator('.card').evaluateAll((els) => els.map((el) => el.getAttribute('data-job-id')));
      t.same(shown, before.slice(0, 50), 'the cards in the inbox order (best score first)');
      const first = page.locator('.card').first();
      for (const part of ['.score-value', '.company', '.tldr', '.facts']) t.ok((await first.locator(part).textContent())?.trim(), `the card shows ${part}`);
      t.equal(await first.locator('.dim').count(), 5, 'five dimension scores');
      await checkControls(t, page, 'inbox');
      await noHorizontalScroll(t, page, width, 'inbox');
      await shot(page, 'inbox', width);
      t.same(problems, [], 'no page errors');
      await context.close();
    }

    const { context, page, problems } = await open(1280, `/#token=${operator}`);
    await page.goto(`${api.url}/#/inbox`);
    await page.locator('.card').first().waitFor();

    // Approve with a click, with a comment.
    const top = before[0];
    const card = page.locator(`.card[data-job-id="${top}"]`);
    await card.getByRole('textbox').fill('Exactly what I want.');
    await card.getByRole('button', { name: /^Approve/ }).click();
    await page.locator(`.card[data-job-id="${top}"]`).waitFor({ state: 'detached' });
    const { rows: [approved] } = await pool.query(`select override_recommend, override_by, override_comment, final_recommend from app.job_reviews where job_id = $1`, [top]);
    t.equal(approved.override_recommend, true, 'approve stores override_recommend = true');
    t.equal(approved.override_by, 'dash-tester', "override_by is the token's subject");
    t.equal(approved.override_comment, 'Exactly what I want.');
    t.equal(approved.final_recommend, true);
    t.notOk((await inboxOrder()).includes(top), 'and it has left the inbox');

    // Keyboard: j moves to the next card, r rejects it, a approves the one after.
    await page.keyboard.press('j');
    const second = before[2];
    await page.locator(`.card.selected[data-job-id="${second}"]`).waitFor();
    await page.keyboard.press('r');
    await page.locator(`.card[data-job-id="${second}"]`).waitFor({ state: 'detached' });
    const { rows: [rejected] } = await pool.query(`select override_recommend, override_by from app.job_reviews where job_id = $1`, [second]);
    t.same(rejected, { override_recommend: false, override_by: 'dash-tester' }, 'r rejects the selected card');
    const selected = await page.locator('.card.selected').getAttribute('data-job-id');
    t.equal(selected, before[3], 'the next card is selected');
    await page.keyboard.press('a');
    await page.locator(`.card[data-job-id="${before[3]}"]`).waitFor({ state: 'detached' });
    const { rows: [byKey] } = await pool.query(`select override_recommend, override_by from app.job_reviews where job_id = $1`, [before[3]]);
    t.same(byKey, { override_recommend: true, override_by: 'dash-tester' }, 'a approves the selected card');
    // Typing in a comment box is not a shortcut.
    await page.keyboard.press('c');
    await page.keyboard.type('a r j');
    const { rows: [untouched] } = await pool.query(`select override_recommend from app.job_reviews where job_id = $1`, [before[4]]);
    t.equal(untouched.override_recommend, null, 'keys typed into the comment box decide nothing');
    t.same(problems, [], 'no page errors');
    await context.close();
  });

  await t.test('a viewer sees the inbox but gets no decision buttons', async (t) => {
    const { context, page, problems } = await open(1280, `/#token=${viewer}`);
    await page.getByTestId('count-reviewed').waitFor();
    await page.getByRole('link', { name: 'Inbox' }).click();
    await page.locator('.card').first().waitFor({ timeout: 10_000 }).catch(async (error) => {
      await page.screenshot({ path: `${ARTIFACTS}viewer-failure.png` });
      t.comment(problems.join('\n'));
      throw error;
    });
    t.equal(await page.getByRole('button', { name: /^Approve/ }).count(), 0);
    t.match(await page.getByTestId('who').textContent(), /dash-viewer \(viewer\)/);
    t.same(problems, [], 'no page errors');
    await context.close();
  });

  await t.test('posting detail: text, not HTML; override history; raw output folded', async (t) => {
    // Decide on the hostile posting first so it has an override history.
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('jwt.claims.sub', 'someone-else', true)`);
      await client.query(`select app.override_review($1, false, '<b>nope</b>')`, [xssId]);
      await client.query('commit');
    } finally {
      client.release();
    }
    for (const width of WIDTHS) {
      const { context, page, problems } = await open(width, `/#token=${operator}`);
      await page.goto(`${api.url}/#/posting/${xssId}`);
      await page.getByTestId('description').waitFor();
      t.equal(await page.getByTestId('description').textContent(), XSS_DESCRIPTION, 'the description is shown as its literal text');
      t.ok(await page.getByText('<script>window.__pwned', { exact: false }).isVisible(), 'the <script> text is visible');
      t.equal(await page.getByTestId('posting-title').textContent(), XSS_TITLE, 'the title too');
      t.equal(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned ?? null), null, 'nothing ran');
      t.equal(await page.title(), `${XSS_TITLE} · Job Review`, 'the document title is ours, with the posting title as text');
      t.equal(await page.locator('main script, main img, main b').count(), 0, 'no element came from posting text');
      t.equal(await page.locator('.posting-head .company').textContent(), 'Evil <b>Corp</b>', 'company as text');
      t.match(await page.getByTestId('override-history').textContent(), /Do not recommend by someone-else/);
      t.ok(await page.getByText('<b>nope</b>').isVisible(), 'override comment as text');
      t.equal(await page.locator('.dims-wide .dim').count(), 5, 'five dimension bars');
      const raw = page.locator('details.raw');
      t.equal(await raw.getAttribute('open'), null, 'raw reviewer output folded away');
      await checkControls(t, page, 'posting');
      await noHorizontalScroll(t, page, width, 'posting');
      await shot(page, 'posting', width);
      await raw.locator('summary').click();
      t.match(await raw.locator('pre').textContent(), /"final"|"dimensions"|\{/, 'raw output unfolds');
      t.same(problems, [], 'no page errors (no CSP violation either)');
      await context.close();
    }
  });
});
