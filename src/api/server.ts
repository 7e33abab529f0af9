// The API server: node:http with, in order,
//   /healthz, /readyz                 anonymous (process alive; database reachable and migrated)
//   /graphiql, /ruru-static/*         Ruru, only in development or with API_GRAPHIQL=true
//   /graphql (+ graphql-ws upgrade)   PostGraphile via grafserv, bearer token required
//   /job-review/*                     the seed's REST endpoints, bearer token required
//   /metrics                          Prometheus text, bearer token required
//   /, /dashboard/*                   the dashboard's static files (src/api/dashboard; it asks for a token)
//   anything else                     opts.fallback or 404
// Anonymous callers get nothing but the health checks (and the static pages).
import './graphile-env.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { postgraphile, type PostGraphileInstance } from 'postgraphile';
import { grafserv } from 'postgraphile/grafserv/node';
import type { Config } from '../config.ts';
import { isMigrated } from '../db/migrate.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import { createVariants } from '../review/variants.ts';
import { bindMetrics, renderMetrics } from '../metrics/metrics.ts';
import type { ReviewProvider } from '../review/providers/provider.ts';
import { bearerToken, verifyToken, type Claims } from './auth.ts';
import { isCallerFacingPgError } from './caller.ts';
import { HttpError, newReference, sendError, sendJson } from './http.ts';
import { makePreset } from './preset.ts';
import { serveDashboard } from './dashboard/serve.ts';
import { restRoutes } from './rest.ts';

export interface ApiServerOptions {
  pool: Pool;
  config: Config;
  log: Logger;
  jwtSecret: string;
  /** Defaults to the provider JOB_REVIEW_PROVIDER names (used by "test one posting now"). */
  provider?: ReviewProvider;
  /** Defaults to HOST and PORT; port 0 picks a free one. */
  host?: string;
  port?: number;
  /** Answers requests no API route matched (anonymous); return false for a 404. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

export interface ApiServer {
  /** http://host:port */
  url: string;
  port: number;
  server: Server;
  pgl: PostGraphileInstance;
  close(): Promise<void>;
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const { pool, config, log, jwtSecret } = opts;
  if (!jwtSecret) throw new Error('the API needs JWT_SECRET');
  const variants = createVariants(config, log, opts.provider);
  bindMetrics(pool, { workerTimeoutSeconds: config.workerTimeoutSeconds });
  const httpClaims = new WeakMap<IncomingMessage, Claims>();
  const pgl = postgraphile(makePreset({ pool, config, log, variants, jwtSecret, httpClaims }));
  const serv = pgl.createServ(grafserv);
  await pgl.getSchema();
  await serv.ready();
  const graphqlHandler = serv.createHandler();
  const upgradeHandler = await serv.getUpgradeHandler();
  const rest = restRoutes({ pool, config, variants });

  const authenticate = async (req: IncomingMessage, res: ServerResponse): Promise<Claims | undefined> => {
    const result = await verifyToken(bearerToken(req.headers.authorization), jwtSecret);
    if (result.ok) return result.claims;
    sendError(res, result.status, result.error, result.reason, result.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="job-review"' } : {});
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      try {
        const migrated = await isMigrated(pool);
        if (!migrated) return sendJson(res, 503, { status: 'not_ready', database: 'ok', migrations: 'pending', reason: "migrations are pending: run 'job-review migrate'" });
        return sendJson(res, 200, { status: 'ready', database: 'ok', migrations: 'current' });
      } catch (error) {
        log.warn({ err: (error as Error).message }, 'readiness check failed');
        return sendJson(res, 503, { status: 'not_ready', database: 'unreachable', reason: 'the database does not answer' });
      }
    }
    if (config.api.graphiql && (path === '/graphiql' || path.startsWith('/ruru-static/'))) {
      return graphqlHandler(req, res);
    }
    if (path === '/graphql' || path === '/graphql/stream') {
      const claims = await authenticate(req, res);
      if (!claims) return;
      httpClaims.set(req, claims);
      // grafserv answers a body over the limit with a bare "Too much data"; name the limit when the size is declared.
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > config.api.bodyLimitBytes) {
        req.resume(); // discarded, so the client can finish sending and read the answer
        return sendJson(res, 413, { errors: [{ message: `the request body is ${declared} bytes, larger than the limit of ${config.api.bodyLimitBytes} (API_BODY_LIMIT)`, extensions: { statusCode: 413 } }] });
      }
      return graphqlHandler(req, res);
    }
    if (path === '/metrics') {
      // Prometheus text; a viewer token is enough (scrape with bearer_token).
      const claims = await authenticate(req, res);
      if (!claims) return;
      const { contentType, body } = await renderMetrics();
      res.writeHead(200, { 'content-type': contentType }).end(body);
      return;
    }
    if (rest.matches(path)) {
      const claims = await authenticate(req, res);
      if (!claims) return;
      return rest.handle(req, res, path, claims);
    }
    if (serveDashboard(req, res)) return;
    if (opts.fallback && (await opts.fallback(req, res))) return;
    sendError(res, 404, 'not_found', `no route ${req.method} ${path}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) return sendError(res, error.status, error.error, error.message, error.headers);
      if (isCallerFacingPgError(error)) {
        const status = error.code === '42501' ? 403 : error.code === 'P0002' ? 404 : error.code === '57014' ? 503 : 400;
        const name = { 403: 'forbidden', 404: 'not_found', 503: 'timeout', 400: 'bad_request' }[status] as string;
        const reason = error.code === '42501' ? `${error.message} (this needs the operator role)` : error.message;
        return sendError(res, status, name, reason);
      }
      const reference = newReference();
      log.error({ err: error, reference, method: req.method, url: req.url }, 'API request failed');
      sendJson(res, 500, { error: 'internal', reason: 'an unexpected error occurred', reference });
    });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 5 * 60_000;

  // graphql-ws on /graphql. The token travels in connectionParams
  // ({authorization: 'Bearer ...'}) and is checked for every operation; a
  // wrong Authorization header on the upgrade itself is refused at once.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!upgradeHandler || !serv.shouldHandleUpgrade(req, socket, head)) return refuse(404, 'Not Found');
    const header = req.headers.authorization;
    if (header === undefined) return upgradeHandler(req, socket, head);
    verifyToken(bearerToken(header), jwtSecret).then(
      (result) => (result.ok ? upgradeHandler(req, socket, head) : refuse(result.status, result.status === 401 ? 'Unauthorized' : 'Forbidden')),
      () => refuse(500, 'Internal Server Error'),
    );
  });

  const host = opts.host ?? config.host;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? config.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    const services = pgl.getResolvedPreset().pgServices ?? [];
    await pgl.release(); // releases grafserv too (releasing grafserv first is forbidden)
    for (const service of services) await service.release?.();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  log.info({ url, graphiql: config.api.graphiql }, 'API listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    server,
    pgl,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
          for (const socket of upgraded) socket.destroy();
        });
        // pgl.release() releases grafserv but not the pg service, whose
        // PgSubscriber holds a LISTEN connection from the pool; release it
        // too (the pool itself is the caller's).
        const services = pgl.getResolvedPreset().pgServices ?? [];
        await pgl.release();
        for (const service of services) await service.release?.();
      })();
      return closing;
    },
  };
}
