// The OpenAI-compatible reviewer against a local fake chat-completions server:
// success, every failure mode and how it maps to the worker's errors, the
// concurrency limit, and that the API key never leaks (errors, raw, logs).
import { Writable } from 'node:stream';
import { pino } from 'pino';
import t from 'tap';
import { defaultBrand } from '../../src/review/brand.ts';
import { assessmentSchema, type Posting, type ReviewInput } from '../../src/review/contracts.ts';
import {
  assessmentJsonSchema,
  createOpenAIProvider,
  DEFAULT_RETRY_AFTER_MS,
  MAX_DESCRIPTION_CHARS,
  parseRetryAfter,
  type OpenAIProviderSettings,
} from '../../src/review/providers/openai.ts';
import { RateLimitedError, RetryableReviewError, type ReviewProvider } from '../../src/review/providers/provider.ts';
import { reviewPosting } from '../../src/review/review.ts';
import { reply, startFakeLlm, validAssessment, type FakeLlm } from '../helpers/fake-llm.ts';

const KEY = 'sk-test-SECRET-abc123';
const MODEL = 'fake-gpt-test';

const posting: Posting = {
  id: '22222222-2222-4222-8222-222222222222',
  title: 'Staff Platform Engineer',
  company: 'Acme Data',
  company_url: 'https://acme.example',
  location_country: 'US',
  location_state: 'CA',
  location_city: 'San Francisco',
  is_remote: true,
  job_type: 'fulltime',
  interval: 'yearly',
  min_amount: 210_000,
  max_amount: 260_000,
  currency: 'USD',
  description: 'Lead the architecture of our distributed data platform. Remote first, async, equity and bonus.',
  date_posted: null,
};
const input: ReviewInput = { posting, brand: defaultBrand() };
const ctx = { minSalary: 180_000 };
const reviewSettings = { minSalary: 180_000, maxAgeDays: 21, recommendThreshold: 5 };

// Everything the provider produced or logged, checked for the key at the end.
const logLines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    logLines.push(String(chunk));
    cb();
  },
});
const log = pino({ level: 'trace' }, sink);
const seenErrors: unknown[] = [];
const seenRaw: unknown[] = [];

const llm: FakeLlm = await startFakeLlm();
t.teardown(() => llm.close());
t.beforeEach(() => llm.reset());

function provider(overrides: Partial<OpenAIProviderSettings> = {}): ReviewProvider {
  return createOpenAIProvider({ baseUrl: llm.url, apiKey: KEY, model: MODEL, timeoutMs: 5_000, maxConcurrency: 4, ...overrides }, log);
}

/** Runs assess, expecting a rejection; returns the error. */
async function failure(p: ReviewProvider, c: Parameters<ReviewProvider['assess']>[1] = ctx): Promise<Error> {
  try {
    const r = await p.assess(input, c);
    seenRaw.push(r.raw);
  } catch (error) {
    seenErrors.push(error);
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

t.test('the response schema is strict-mode ready and matches assessmentSchema', async (t) => {
  const bad: string[] = [];
  const walk = (node: unknown, at: string) => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}[${i}]`));
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    for (const k of ['$schema', 'default', 'minLength', 'minimum', 'maximum']) if (k in o) bad.push(`${at}: ${k}`);
    if (o.type === 'object') {
      const props = Object.keys(o.properties as object);
      if (JSON.stringify([...(o.required as string[])].sort()) !== JSON.stringify([...props].sort())) bad.push(`${at}: not every property required`);
      if (o.additionalProperties !== false) bad.push(`${at}: additionalProperties is not false`);
    }
    for (const [k, v] of Object.entries(o)) walk(v, k === 'properties' ? at : `${at}.${k}`);
    if (o.properties) for (const [k, v] of Object.entries(o.properties as object)) walk(v, `${at}.${k}`);
  };
  walk(assessmentJsonSchema, '$');
  t.same(bad, []);
  const s = assessmentJsonSchema as any;
  t.same(Object.keys(s.properties).sort(), Object.keys(assessmentSchema.shape).sort());
  t.same(s.properties.dimensions.properties.north_star.properties.score, { enum: [1, 2, 3, 4, 5], type: 'integer' });
  t.ok(assessmentSchema.safeParse(validAssessment()).success, 'the fake default is a valid assessment');
});

t.test('success: assessment, raw, usage, and what was sent', async (t) => {
  const p = provider();
  t.equal(p.name, 'openai@1');
  t.equal(p.model, MODEL);
  const r = await p.assess(input, ctx);
  seenRaw.push(r.raw);
  t.same(r.assessment, validAssessment());
  t.same(r.usage, { promptTokens: 321, completionTokens: 123 });
  const raw = r.raw as any;
  t.equal(raw.model, MODEL);
  t.equal(raw.provider, 'openai@1');
  t.same(raw.content, validAssessment());
  t.same(raw.usage, { prompt_tokens: 321, completion_tokens: 123, total_tokens: 444 });

  t.equal(llm.requests.length, 1);
  const req = llm.requests[0];
  t.equal(req.headers.authorization, `Bearer ${KEY}`);
  t.equal(req.body.model, MODEL);
  t.equal(req.body.response_format.type, 'json_schema');
  t.equal(req.body.response_format.json_schema.strict, true);
  t.match(req.body.response_format.json_schema.name, /^[A-Za-z0-9_-]{1,64}$/);
  t.same(req.body.response_format.json_schema.schema, assessmentJsonSchema);
  const [system, user] = req.body.messages;
  t.equal(system.role, 'system');
  for (const d of ['north_star', 'trajectory_mastery', 'values_compass', 'lifestyle_alignment', 'compensation_philosophy']) {
    t.match(system.content, d, `system prompt names ${d}`);
  }
  t.match(system.content, /weight 0\.3/);
  t.match(system.content, /1 to 5/);
  t.match(system.content, /tldr_summary/);
  t.match(system.content, /180,000/);
  t.match(system.content, defaultBrand().north_star.content, 'brand text included');
  t.equal(user.role, 'user');
  t.match(user.content, /Title: Staff Platform Engineer/);
  t.match(user.content, /Salary: 210,000 - 260,000 USD per year/);
  t.match(user.content, /Lead the architecture/);

  const reviewed = await reviewPosting(input, p, reviewSettings);
  seenRaw.push(reviewed.raw);
  t.equal(reviewed.reviewer, 'openai@1');
  t.equal(reviewed.model, MODEL);
  t.equal(reviewed.providerCalled, true);
  t.equal(reviewed.output.overall_alignment_score, 8, 'all 4s -> 8/10');
  t.equal(reviewed.output.tldr_summary, validAssessment().tldr_summary);
});

t.test('a very long description is cut before sending', async (t) => {
  const long = 'x'.repeat(60_000);
  const r = await provider().assess({ posting: { ...posting, description: long }, brand: defaultBrand() }, ctx);
  seenRaw.push(r.raw);
  const user = llm.requests[0].body.messages[1].content as string;
  t.ok(user.length < MAX_DESCRIPTION_CHARS + 1_000, `user message is ${user.length} characters`);
  t.match(user, /description cut at 12000 of 60000 characters/);
});

t.test('no API key: keyless local endpoints still work', async (t) => {
  const r = await provider({ apiKey: undefined }).assess(input, ctx);
  t.same(r.assessment, validAssessment());
  t.notMatch(String(llm.requests[0].headers.authorization), KEY);
});

t.test('HTTP 429 -> RateLimitedError with Retry-After, one request only', async (t) => {
  const p = provider();
  llm.enqueue(reply.rateLimited({ retryAfter: '7' }));
  let e = await failure(p);
  t.type(e, RateLimitedError);
  t.equal((e as RateLimitedError).retryAfterMs, 7_000);
  t.match(e.message, /rate-limited.*429/);
  t.equal(llm.requests.length, 1, 'the SDK did not retry');

  llm.enqueue(reply.rateLimited({ retryAfterMs: '1500', retryAfter: '9' }));
  e = await failure(p);
  t.equal((e as RateLimitedError).retryAfterMs, 1_500, 'retry-after-ms wins');

  llm.enqueue(reply.rateLimited({ retryAfter: new Date(Date.now() + 20_000).toUTCString() }));
  e = await failure(p);
  const ms = (e as RateLimitedError).retryAfterMs;
  t.ok(ms > 17_000 && ms <= 20_000, `HTTP date -> ${ms} ms`);

  llm.enqueue(reply.rateLimited());
  e = await failure(p);
  t.equal((e as RateLimitedError).retryAfterMs, DEFAULT_RETRY_AFTER_MS, 'absent -> default');
  t.equal(llm.requests.length, 4);
  t.notOk(e instanceof RetryableReviewError, 'not an ordinary failure: no attempt is used');
});

t.test('parseRetryAfter', async (t) => {
  const h = (o: Record<string, string>) => new Headers(o);
  t.equal(parseRetryAfter(h({ 'retry-after': '2' })), 2_000);
  t.equal(parseRetryAfter(h({ 'retry-after': '0.5' })), 500);
  t.equal(parseRetryAfter(h({ 'retry-after-ms': '250' })), 250);
  t.equal(parseRetryAfter(h({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }), Date.parse('Wed, 21 Oct 2015 07:27:00 GMT')), 60_000);
  t.equal(parseRetryAfter(h({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }), Date.parse('Wed, 21 Oct 2015 08:00:00 GMT')), 0, 'a past date -> now');
  t.equal(parseRetryAfter(h({ 'retry-after': 'soon' })), DEFAULT_RETRY_AFTER_MS);
  t.equal(parseRetryAfter(undefined), DEFAULT_RETRY_AFTER_MS);
});

t.test('HTTP 5xx -> RetryableReviewError, no SDK retries, the key scrubbed from echoed bodies', async (t) => {
  llm.enqueue(reply.status(500, { error: { message: `upstream exploded for Bearer ${KEY} (key ${KEY})` } }));
  const e = await failure(provider());
  t.type(e, RetryableReviewError);
  t.match(e.message, /HTTP 500/);
  t.match(e.message, /upstream exploded/);
  t.notMatch(e.message, KEY);
  t.equal(llm.requests.length, 1);

  llm.enqueue(reply.serverError(503));
  const e503 = await failure(provider());
  t.type(e503, RetryableReviewError);
  t.match(e503.message, /HTTP 503/);
});

t.test('other 4xx -> RetryableReviewError with a message naming the setting to check', async (t) => {
  llm.enqueue(reply.status(401, { error: { message: `Incorrect API key provided: ${KEY}. Also sk-test-****c123.`, code: 'invalid_api_key' } }));
  const e401 = await failure(provider());
  t.type(e401, RetryableReviewError);
  t.match(e401.message, /HTTP 401.*OPENAI_API_KEY/);
  t.notMatch(e401.message, /c123/, 'not even part of the key');

  llm.enqueue(reply.status(404, { error: { message: `model '${MODEL}' not found` } }));
  const e404 = await failure(provider());
  t.type(e404, RetryableReviewError);
  t.match(e404.message, /HTTP 404.*not found.*OPENAI_MODEL \(fake-gpt-test\)/);

  llm.enqueue(reply.status(400, { error: { message: 'response_format json_schema is not supported' } }));
  const e400 = await failure(provider());
  t.type(e400, RetryableReviewError);
  t.match(e400.message, /HTTP 400: response_format json_schema is not supported/);
});

t.test('a server slower than timeoutMs -> RetryableReviewError, promptly', async (t) => {
  llm.enqueue(reply.delay(5_000));
  const started = Date.now();
  const e = await failure(provider({ timeoutMs: 300 }));
  t.type(e, RetryableReviewError);
  t.match(e.message, /timed out after 300 ms/);
  t.ok(Date.now() - started < 2_000, `gave up after ${Date.now() - started} ms`);
  t.equal(llm.requests.length, 1);
});

t.test('a body that stalls after the headers is bounded by the same timeout', async (t) => {
  llm.enqueue(reply.stallBody());
  const started = Date.now();
  const e = await failure(provider({ timeoutMs: 300 }));
  t.type(e, RetryableReviewError);
  t.match(e.message, /timed out after 300 ms/);
  t.ok(Date.now() - started < 2_000);
});

t.test('a malformed JSON body -> RetryableReviewError', async (t) => {
  llm.enqueue(reply.malformed());
  const e = await failure(provider());
  t.type(e, RetryableReviewError);
  t.match(e.message, /not valid JSON/);
});

t.test('a truncated body -> RetryableReviewError', async (t) => {
  llm.enqueue(reply.truncate());
  const e = await failure(provider());
  t.type(e, RetryableReviewError);
  t.match(e.message, /cut off|connection/);
});

t.test('a connection reset -> RetryableReviewError', async (t) => {
  llm.enqueue(reply.reset());
  const e = await failure(provider());
  t.type(e, RetryableReviewError);
  t.match(e.message, /connection failed or was reset/);
  t.equal(llm.requests.length, 1, 'the SDK did not retry');
});

t.test('nothing listening -> RetryableReviewError', async (t) => {
  const gone = await startFakeLlm();
  const url = gone.url;
  await gone.close();
  const e = await failure(provider({ baseUrl: url }));
  t.type(e, RetryableReviewError);
  t.match(e.message, /could not reach the LLM endpoint http:\/\/127\.0\.0\.1:\d+\/v1 \(ECONNREFUSED\)/);
});

t.test('bad model output -> RetryableReviewError', async (t) => {
  const p = provider();
  llm.enqueue(reply.notJson());
  t.match((await failure(p)).message, /content is not JSON/);
  llm.enqueue(reply.refusal());
  t.match((await failure(p)).message, /refused/);
  llm.enqueue(reply.ok(null));
  t.match((await failure(p)).message, /no content/);
  llm.enqueue(reply.ok('{"dimensions": {"north_star": {"sco', { finishReason: 'length' }));
  t.match((await failure(p)).message, /token limit/);
  llm.enqueue(reply.ok([1, 2, 3]));
  t.match((await failure(p)).message, /failed the assessment schema/);
  llm.enqueue(reply.status(200, { not: 'a completion' }));
  t.match((await failure(p)).message, /not a chat completion/);
  for (const e of seenErrors.slice(-6)) t.type(e, RetryableReviewError);
  // A fenced JSON answer (some local models do that) is accepted.
  llm.enqueue(reply.ok('```json\n' + JSON.stringify(validAssessment(5)) + '\n```'));
  t.same((await p.assess(input, ctx)).assessment, validAssessment(5));
});

t.test('content that breaks the schema: reviewPosting yields nothing, only a RetryableReviewError', async (t) => {
  llm.enqueue(reply.invalidSchema());
  let result: unknown;
  let error: unknown;
  try {
    result = await reviewPosting(input, provider(), reviewSettings);
  } catch (e) {
    error = e;
    seenErrors.push(e);
  }
  t.equal(result, undefined, 'no review came out');
  t.type(error, RetryableReviewError);
  t.match((error as Error).message, /failed the assessment schema at (dimensions\.north_star\.score|tldr_summary)/);
});

t.test('at most maxConcurrency requests in flight; the rest wait', async (t) => {
  llm.setDefault(reply.delay(150));
  const p = provider({ maxConcurrency: 2 });
  const results = await Promise.all(Array.from({ length: 6 }, () => p.assess(input, ctx)));
  t.equal(results.length, 6);
  for (const r of results) t.same(r.assessment, validAssessment());
  t.equal(llm.requests.length, 6);
  t.equal(llm.maxInFlight, 2, 'never more than 2 at the server');

  // Instances are independent; a failure frees its slot.
  llm.reset();
  llm.setDefault(reply.delay(100));
  llm.enqueue(reply.serverError(), reply.reset());
  const q = provider({ maxConcurrency: 1 });
  const settled = await Promise.allSettled(Array.from({ length: 4 }, () => q.assess(input, ctx)));
  for (const s of settled) if (s.status === 'rejected') seenErrors.push(s.reason);
  t.same(
    settled.map((s) => s.status),
    ['rejected', 'rejected', 'fulfilled', 'fulfilled'],
  );
  t.equal(llm.maxInFlight, 1);
});

t.test('the caller aborting (ctx.signal) ends in-flight and queued calls', async (t) => {
  llm.setDefault(reply.hang());
  const p = provider({ maxConcurrency: 1, timeoutMs: 60_000 });
  const ac = new AbortController();
  const started = Date.now();
  const first = failure(p, { ...ctx, signal: ac.signal });
  const queued = failure(p, { ...ctx, signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  const [a, b] = await Promise.all([first, queued]);
  t.type(a, RetryableReviewError);
  t.type(b, RetryableReviewError);
  t.match(a.message, /aborted/);
  t.match(b.message, /aborted/);
  t.ok(Date.now() - started < 2_000);
  t.equal(llm.requests.length, 1, 'the queued call never reached the server');

  // The slot was given back: the next call goes through.
  llm.setDefault(reply.ok());
  const r = await p.assess(input, ctx);
  t.same(r.assessment, validAssessment());
});

t.test('the fake server: fail N times then succeed', async (t) => {
  llm.failNext(2);
  const p = provider();
  await failure(p);
  await failure(p);
  const r = await p.assess(input, ctx);
  seenRaw.push(r.raw);
  t.same(r.assessment, validAssessment());
  t.equal(llm.requests.length, 3);
});

t.test('the API key appears in no error, no raw output and no log line', async (t) => {
  t.ok(seenErrors.length >= 20, `${seenErrors.length} errors checked`);
  t.ok(seenRaw.length >= 3, `${seenRaw.length} raw outputs checked`);
  t.ok(logLines.length >= 20, `${logLines.length} log lines checked`);
  for (const e of seenErrors) {
    const err = e as Error;
    const text = [err.name, err.message, String(err), err.stack ?? '', JSON.stringify(err), JSON.stringify(Object.getOwnPropertyDescriptors(err)), String(err.cause ?? '')].join('\n');
    t.notMatch(text, KEY, `${err.name}: ${err.message}`);
    t.notMatch(text, /SECRET/);
    t.equal(err.cause, undefined, 'no SDK error passed on as cause');
  }
  for (const raw of seenRaw) t.notMatch(JSON.stringify(raw), /SECRET/);
  const logs = logLines.join('');
  t.notMatch(logs, /SECRET/);
  t.match(logs, /LLM review failed/);
  t.match(logs, /LLM review received/);
});
