// The dashboard's static files: the page at `/`, its own assets under
// `/dashboard/*`, and the two browser libraries it uses (preact, uplot)
// straight from node_modules under `/dashboard/vendor/*`. No build step: the
// browser loads ES modules. Everything here is public (it holds no data);
// the page asks for a token and talks to /graphql with it.
//
// Every response carries a strict Content-Security-Policy: scripts, styles
// and connections from this origin only, no inline script or style, no
// frames, no plugins. Posting text is rendered as text by the page, and the
// CSP is the second line of defence should that ever slip.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const preactDist = dirname(require.resolve('preact'));
const hooksDist = dirname(require.resolve('preact/hooks'));
const uplotDist = dirname(require.resolve('uplot'));

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
} as const;

interface Asset {
  file: string;
  type: keyof typeof TYPES;
  /** Rewrites the file once when it is loaded (bare imports of the vendor files). */
  transform?: (text: string) => string;
}

const own = (name: string, type: keyof typeof TYPES): Asset => ({ file: join(here, name), type });

const ASSETS: Record<string, Asset> = {
  '/': own('index.html', 'html'),
  '/index.html': own('index.html', 'html'),
  '/dashboard': own('index.html', 'html'),
  '/dashboard/': own('index.html', 'html'),
  '/dashboard/app.js': own('app.js', 'js'),
  '/dashboard/api.js': own('api.js', 'js'),
  '/dashboard/format.js': own('format.js', 'js'),
  '/dashboard/chart.js': own('chart.js', 'js'),
  '/dashboard/style.css': own('style.css', 'css'),
  '/dashboard/icon.svg': own('icon.svg', 'svg'),
  '/dashboard/vendor/preact.js': { file: join(preactDist, 'preact.module.js'), type: 'js' },
  // The hooks module imports "preact" by its bare name; a browser without an
  // import map (which would need an inline script) needs a path.
  '/dashboard/vendor/hooks.js': {
    file: join(hooksDist, 'hooks.module.js'),
    type: 'js',
    transform: (text) => text.replace(/from\s*["']preact["']/g, 'from"./preact.js"'),
  },
  '/dashboard/vendor/uplot.js': { file: join(uplotDist, 'uPlot.esm.js'), type: 'js' },
  '/dashboard/vendor/uplot.css': { file: join(uplotDist, 'uPlot.min.css'), type: 'css' },
};

const cache = new Map<string, Buffer>();

function body(asset: Asset): Buffer {
  let data = cache.get(asset.file);
  if (!data) {
    const raw = readFileSync(asset.file);
    data = asset.transform ? Buffer.from(asset.transform(raw.toString('utf8'))) : raw;
    cache.set(asset.file, data);
  }
  return data;
}

/** Security headers of every dashboard response. */
export function dashboardHeaders(type: keyof typeof TYPES): Record<string, string> {
  return {
    'Content-Type': TYPES[type],
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-cache',
  };
}

/**
 * Answers GET/HEAD for the dashboard's paths (`/`, `/index.html`,
 * `/dashboard/*`). Returns false for anything else, so the caller can 404.
 */
export function serveDashboard(req: IncomingMessage, res: ServerResponse): boolean {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const asset = ASSETS[path];
  if (!asset) {
    if (!path.startsWith('/dashboard/')) return false;
    const text = 'Not found\n';
    res.writeHead(404, { ...dashboardHeaders('html'), 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
    res.end(text);
    return true;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Method not allowed\n');
    return true;
  }
  const data = body(asset);
  res.writeHead(200, { ...dashboardHeaders(asset.type), 'Content-Length': String(data.length) });
  res.end(req.method === 'HEAD' ? undefined : data);
  return true;
}
