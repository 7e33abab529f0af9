// A local, scriptable OpenAI-compatible chat-completions server for tests.
// It speaks the real protocol (POST /v1/chat/completions -> chat.completion
// object; GET /v1/models), records every completion request, and answers each
// one from a queue of scripted replies, then from a default (by default: a
// valid assessment). Replies can also be failures: any HTTP status (429 with
// Retry-After, 500, 401...), a delay or a hang past the client's timeout, a
// body that is not JSON, a body cut off mid-way, a connection reset, or valid
// JSON content that breaks the assessment schema.
//
//   const llm = await startFakeLlm();                 // always succeeds
//   llm.enqueue(reply.status(500), reply.rateLimited({ retryAfter: '7' }));
//   llm.failNext(2);                                  // two 500s, then the default
//   llm.setDefault((req, i) => (i % 2 ? reply.ok() : reply.reset()));
//   ... OPENAI_BASE_URL = llm.url ...
//   llm.requests.length, llm.maxInFlight
//   await llm.close();
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeReply =
  /** 200 with a chat.completion whose message content is `content` (an object is JSON-encoded; default: a valid assessment). */
  | {
      kind: 'ok';
      content?: string | object | null;
      refusal?: string;
      finishReason?: string;
      /** Overrides the model echoed back (default: the request's model). */
      model?: string;
      /** null: no usage in the response. */
      usage?: { prompt_tokens: number; completion_tokens: number } | null;
      delayMs?: number;
    }
  /** Any status with a JSON error body (OpenAI's shape by default) and extra headers. */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  /** 200, application/json, and a body that is not JSON. */
  | { kind: 'malformed'; body?: string; delayMs?: number }
  /** 200 with a Content-Length for the whole completion, half of it sent, then the socket destroyed (or, with `stall`, nothing more ever sent). */
  | { kind: 'truncate'; stall?: boolean; delayMs?: number }
  /** The TCP connection reset (RST) without any response. */
  | { kind: 'reset'; delayMs?: number }
  /** Never answers; the request ends when the client gives up or the server closes. */
  | { kind: 'hang' };

export type Responder = (request: RecordedRequest, index: number) => FakeReply | Promise<FakeReply>;

export interface RecordedRequest {
  /** 0-based, in arrival order. */
  index: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when it was not JSON. */
  body: any;
  rawBody: string;
  receivedAt: number;
}

export interface FakeLlm {
  /** The base URL, ending in /v1 (what OPENAI_BASE_URL takes). */
  url: string;
  port: number;
  /** Every POST /v1/chat/completions, in arrival order. */
  requests: RecordedRequest[];
  /** Completion requests being answered right now, and the most there ever were at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Replies for the next requests, in order; when the queue is empty the default answers. */
  enqueue(...replies: FakeReply[]): void;
  /** The next `n` requests get `failure` (default: HTTP 500), then the default answers again. */
  failNext(n: number, failure?: FakeReply): void;
  /** Replaces the default reply (a fixed reply or a function of the request). */
  setDefault(reply: FakeReply | Responder): void;
  /** Clears the queue, the recorded requests and maxInFlight; the default becomes "always succeed" again. */
  reset(): void;
  close(): Promise<void>;
}

export interface FakeLlmOptions {
  /** The default reply (default: reply.ok(), a valid assessment). */
  reply?: FakeReply | Responder;
  /** Replies queued before the default, e.g. failures first. */
  queue?: FakeReply[];
  /** Shorthand for `queue`: the first `failFirst` requests get `failWith` (default HTTP 500). */
  failFirst?: number;
  failWith?: FakeReply;
  /** Delay before every reply that has none of its own (default 0). */
  delayMs?: number;
  /** Address to listen on (default 127.0.0.1; the chaos suite uses a veth address reachable from a network namespace). */
  host?: string;
}

const DIMS = ['north_star', 'trajectory_mastery', 'values_compass', 'lifestyle_alignment', 'compensation_philosophy'] as const;

/** A valid assessment (passes assessmentSchema); every score `score` unless overridden. */
export function validAssessment(score = 4, overrides: Partial<Record<(typeof DIMS)[number], number>> = {}): Record<string, unknown> {
  return {
    dimensions: Object.fromEntries(DIMS.map((d) => [d, { score: overrides[d] ?? score, summary: `Fake summary for ${d}.` }])),
    tldr_summary: 'A fake review from the fake LLM: good fit overall.',
    personas: [{ id: 'career_coach', recommend: score >= 3, reason: 'Fake persona reason.' }],
    tradeoffs: ['Fake tradeoff.'],
    actions: ['Ask about the fake team.'],
    sources: ['posting', 'career_brand'],
  };
}

/** Valid JSON that is not an assessment: a score out of range and a missing TL;DR. */
export function schemaBreakingAssessment(): Record<string, unknown> {
  const a = validAssessment();
  (a.dimensions as Record<string, { score: number }>).north_star.score = 9;
  delete a.tldr_summary;
  return a;
}

/** Builders for the usual replies. */
export const reply = {
  ok: (content?: string | object | null, extra: Omit<Extract<FakeReply, { kind: 'ok' }>, 'kind' | 'content'> = {}): FakeReply => ({ kind: 'ok', content, ...extra }),
  status: (status: number, body?: unknown, headers?: Record<string, string>): FakeReply => ({ kind: 'status', status, body, headers }),
  /** 429; `retryAfter` is the Retry-After header as sent (seconds or an HTTP date), `retryAfterMs` the retry-after-ms header. */
  rateLimited: (opts: { retryAfter?: string; retryAfterMs?: string } = {}): FakeReply => ({
    kind: 'status',
    status: 429,
    body: { error: { message: 'Rate limit reached (fake).', type: 'requests', code: 'rate_limit_exceeded' } },
    headers: { ...(opts.retryAfter !== undefined ? { 'retry-after': opts.retryAfter } : {}), ...(opts.retryAfterMs !== undefined ? { 'retry-after-ms': opts.retryAfterMs } : {}) },
  }),
  serverError: (status = 500): FakeReply => ({ kind: 'status', status }),
  delay: (delayMs: number, then: FakeReply = { kind: 'ok' }): FakeReply => ({ ...then, delayMs }) as FakeReply,
  hang: (): FakeReply => ({ kind: 'hang' }),
  malformed: (body?: string): FakeReply => ({ kind: 'malformed', body }),
  truncate: (): FakeReply => ({ kind: 'truncate' }),
  /** Headers and half the body, then silence: only a whole-call timeout ends it. */
  stallBody: (): FakeReply => ({ kind: 'truncate', stall: true }),
  reset: (): FakeReply => ({ kind: 'reset' }),
  /** A 200 whose content is JSON but not a valid assessment. */
  invalidSchema: (): FakeReply => ({ kind: 'ok', content: schemaBreakingAssessment() }),
  /** A 200 whose content is prose, not JSON. */
  notJson: (): FakeReply => ({ kind: 'ok', content: 'Sure! Here is my review: it looks great.' }),
  refusal: (text = "I'm sorry, I can't help with that."): FakeReply => ({ kind: 'ok', content: null, refusal: text }),
};

function completionBody(request: RecordedRequest, r: Extract<FakeReply, { kind: 'ok' }>): string {
  const content = r.content === undefined ? JSON.stringify(validAssessment()) : r.content === null ? null : typeof r.content === 'string' ? r.content : JSON.stringify(r.content);
  const usage = r.usage === null ? undefined : (r.usage ?? { prompt_tokens: 321, completion_tokens: 123 });
  return JSON.stringify({
    id: `chatcmpl-fake-${request.index}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: r.model ?? (typeof request.body?.model === 'string' ? request.body.model : 'fake-model'),
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: r.refusal ?? null },
        logprobs: null,
        finish_reason: r.finishReason ?? 'stop',
      },
    ],
    ...(usage ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } : {}),
    system_fingerprint: 'fp_fake',
  });
}

function errorBody(status: number): unknown {
  const type = status >= 500 ? 'server_error' : status === 401 ? 'invalid_request_error' : 'invalid_request_error';
  return { error: { message: `Fake error ${status}.`, type, param: null, code: null } };
}

export async function startFakeLlm(opts: FakeLlmOptions = {}): Promise<FakeLlm> {
  const defaultOk: FakeReply = { kind: 'ok' };
  let fallback: FakeReply | Responder = opts.reply ?? defaultOk;
  const queue: FakeReply[] = [...(opts.queue ?? [])];
  if (opts.failFirst) for (let i = 0; i < opts.failFirst; i++) queue.push(opts.failWith ?? { kind: 'status', status: 500 });
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let maxInFlight = 0;
  let counter = 0;

  const sleep = (ms: number, res: ServerResponse) =>
    new Promise<boolean>((resolve) => {
      if (ms <= 0) return resolve(true);
      const t = setTimeout(() => {
        timers.delete(t);
        res.off('close', onClose);
        resolve(true);
      }, ms);
      timers.add(t);
      const onClose = () => {
        clearTimeout(t);
        timers.delete(t);
        resolve(false);
      };
      res.once('close', onClose);
    });

  async function answer(req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest): Promise<void> {
    const next = queue.length ? queue.shift()! : typeof fallback === 'function' ? await fallback(recorded, recorded.index) : fallback;
    if (next.kind === 'hang') return; // the 'close' of the response ends it
    const delay = next.delayMs ?? opts.delayMs ?? 0;
    if (!(await sleep(delay, res))) return; // the client went away while we waited
    switch (next.kind) {
      case 'ok': {
        const body = completionBody(recorded, next);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': `req_fake_${recorded.index}` });
        res.end(body);
        return;
      }
      case 'status': {
        const body = JSON.stringify(next.body === undefined ? errorBody(next.status) : next.body);
        res.writeHead(next.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...next.headers });
        res.end(body);
        return;
      }
      case 'malformed': {
        const body = next.body ?? '{"id":"chatcmpl-broken","object":"chat.completion","choices":[{"index":0,"message":{"role":"assist';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      case 'truncate': {
        const body = completionBody(recorded, { kind: 'ok' });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.flushHeaders();
        res.write(body.slice(0, Math.floor(body.length / 2)), () => {
          if (!next.stall) setTimeout(() => req.socket.destroy(), 20);
        });
        return;
      }
      case 'reset': {
        req.socket.resetAndDestroy();
        return;
      }
    }
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'GET' && path === '/v1/models') {
        const body = JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake-llm' }] });
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
        return;
      }
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `No route ${req.method} ${path} (fake LLM).`, type: 'invalid_request_error' } }));
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      const recorded: RecordedRequest = { index: counter++, method: req.method, path, headers: req.headers, body, rawBody, receivedAt: Date.now() };
      requests.push(recorded);
      if (body === undefined) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Request body is not JSON (fake LLM).', type: 'invalid_request_error' } }));
        return;
      }
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.once('close', () => inFlight--);
      answer(req, res, recorded).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `fake LLM responder threw: ${String(error)}`, type: 'server_error' } }));
      });
    });
  });

  // Neither the listening socket nor idle connections keep the process alive,
  // so a root-level `t.teardown(() => llm.close())` runs when the tests are done.
  server.on('connection', (socket) => socket.unref());
  server.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}/v1`,
    port,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    enqueue: (...replies) => void queue.push(...replies),
    failNext: (n, failure = { kind: 'status', status: 500 }) => {
      for (let i = 0; i < n; i++) queue.push(failure);
    },
    setDefault: (r) => void (fallback = r),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
      counter = 0;
      maxInFlight = inFlight;
      fallback = defaultOk;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
