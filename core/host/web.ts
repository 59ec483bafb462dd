/**
 * Web mode: the core behind HTTP and a WebSocket on 127.0.0.1 only. A random token in the
 * printed URL is checked on every request and socket, along with Host (no DNS rebinding) and
 * Origin (no other site's page); anything else is refused before it can do anything.
 * Calls on the socket are JSON: `{ id, method, args }` in, `{ id, result }` out, where
 * `result` is the contract's `Result`; events come as `{ event }`. A terminal opened with
 * `terminals.open` is carried by its own socket, `/terminal?id=…` (core/api/terminal-port.ts).
 *
 * The built renderer (out/renderer) is served at `/`: the app's own code, which any local
 * request with the right Host and Origin may load (it holds no secret, and a reload must work
 * after the page moved the token off the address bar). Everything that acts — the API socket
 * and terminals — needs the token, which the page passes on its sockets itself. The token is
 * never set as a cookie: a browser sends 127.0.0.1's cookies to every port of that host, so
 * any other local web server the user opened would receive it.
 *
 * A socket's message that is not a call (`null`, a number, a frame over the size limit, a
 * broken frame) gets an error or closes that socket; the server and its runs go on.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { FlotillaService } from '../api/service.ts';
import { bridgeTerminal } from '../api/terminal-port.ts';
import { contentSecurityPolicy } from './csp.ts';
import { findAbove } from '../util/resources.ts';

export interface WebHost {
  /** The URL to open, token included. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export interface WebOptions {
  service: FlotillaService;
  /** 0 (default): any free port. */
  port?: number;
  /** Fixed token (tests); by default 32 random bytes. */
  token?: string;
  /** The built renderer; by default out/renderer of this checkout. */
  assets?: string;
}

/** out/renderer of this checkout, or, not built yet, where it would be (the page then says to build it). */
function defaultAssets(): string {
  const index = findAbove(path.join('out', 'renderer', 'index.html'));
  return index ? path.dirname(index) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../out/renderer');
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Flotilla</title>
<body style="font: 14px system-ui; margin: 2rem"><h1>Flotilla</h1>
<p>The core is running in web mode, but the user interface is not built: run <code>npm run build:renderer</code> and reload.</p></body>`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/** Starts web mode; resolves once it listens. */
export function serveWeb(options: WebOptions): Promise<WebHost> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const server: Server = createServer((request, response) => handle(request, response));
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  let port = 0;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  const assets = path.resolve(options.assets ?? defaultAssets());
  const csp = () => contentSecurityPolicy([`ws://127.0.0.1:${port}`, `ws://localhost:${port}`]);

  /** Why a request is refused, or undefined when it may go on (`token`: whether it needs one). */
  function refusal(request: IncomingMessage, url: URL, needsToken: boolean): string | undefined {
    if (!allowedHosts().has(request.headers.host ?? '')) return 'wrong host';
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return 'foreign origin';
    if (!needsToken) return undefined;
    const given = url.searchParams.get('token') ?? bearer(request.headers.authorization);
    if (!given || !sameToken(given, token)) return 'missing or wrong token';
    return undefined;
  }

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    // The app's files only: nothing served over plain HTTP acts or tells a secret.
    const refused = refusal(request, url, false);
    const headers = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
    if (refused) {
      response.writeHead(403, { ...headers, 'Content-Type': 'text/plain' }).end(`forbidden: ${refused}\n`);
      return;
    }
    const file = request.method === 'GET' ? assetFile(url.pathname) : undefined;
    if (!file) {
      response.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const page: Record<string, string> = { ...headers, 'Content-Security-Policy': csp(), 'X-Frame-Options': 'DENY' };
    if (file === 'not-built') {
      response.writeHead(200, { ...page, 'Content-Type': 'text/html; charset=utf-8' }).end(NOT_BUILT);
      return;
    }
    response.writeHead(200, { ...page, 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  }

  /** The file of the renderer a path names (never outside its folder), or 'not-built'. */
  function assetFile(pathname: string): string | undefined {
    if (pathname === '/' || pathname === '/index.html') {
      const index = path.join(assets, 'index.html');
      return existsSync(index) ? index : 'not-built';
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return undefined;
    }
    const file = path.resolve(assets, `.${path.posix.normalize(decoded)}`);
    if (!file.startsWith(assets + path.sep)) return undefined;
    try {
      return statSync(file).isFile() ? file : undefined;
    } catch {
      return undefined;
    }
  }

  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const refused = url.pathname === '/api' || url.pathname === '/terminal' ? refusal(request, url, true) : 'not found';
    if (refused) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nforbidden: ${refused}\n`);
      return;
    }
    if (url.pathname === '/terminal') {
      const session = options.service.attachTerminal(url.searchParams.get('id') ?? '');
      if (!session) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nno such terminal\n');
        return;
      }
      sockets.handleUpgrade(request, socket, head, (ws) => {
        // A frame too big or broken: this socket closes (ws closes it), nothing else does.
        ws.on('error', () => ws.terminate());
        const bridge = bridgeTerminal(session, (message) => ws.send(message));
        ws.on('message', (data) => bridge.receive(String(data)));
        ws.on('close', () => bridge.close());
      });
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      const session = randomBytes(12).toString('base64url');
      // Events as they are committed: `{ event }` messages; log lines only to the socket that follows them.
      const unsubscribe = options.service.onEvent((event) => {
        if (event.type === 'log' && event.session !== session) return;
        ws.send(JSON.stringify({ event }));
      });
      ws.on('close', () => {
        unsubscribe();
        options.service.endSession(session);
      });
      ws.on('message', (data) => {
        let message: unknown;
        try {
          message = JSON.parse(String(data));
        } catch {
          message = undefined;
        }
        if (typeof message !== 'object' || message === null || Array.isArray(message)) {
          ws.send(JSON.stringify({ id: null, result: { ok: false, error: { code: 'bad-request', message: 'messages are JSON objects: { id, method, args }' } } }));
          return;
        }
        const { id, method, args } = message as { id?: unknown; method?: unknown; args?: unknown };
        void options.service
          .call(method, args, { session })
          .then((result) => ws.send(JSON.stringify({ id: id ?? null, result })))
          // A call's failure is its answer; one that cannot even be answered closes this socket only.
          .catch(() => ws.terminate());
      });
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: options.port ?? 0 }, () => {
      port = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${port}/?token=${token}`,
        port,
        token,
        close: () =>
          new Promise<void>((done) => {
            for (const client of sockets.clients) client.terminate();
            sockets.close();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function bearer(header: string | undefined): string | undefined {
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
