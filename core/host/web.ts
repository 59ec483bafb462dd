/**
 * Web mode: the core behind HTTP and a WebSocket on 127.0.0.1 only. A random token in the
 * printed URL is checked on every request and socket, along with Host (no DNS rebinding) and
 * Origin (no other site's page); anything else is refused before it can do anything.
 * Calls on the socket are JSON: `{ id, method, args }` in, `{ id, result }` out, where
 * `result` is the contract's `Result`.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { FlotillaService } from '../api/service.ts';

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
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>Flotilla</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<body style="font: 14px system-ui; margin: 2rem"><h1>Flotilla</h1>
<p>The core is running in web mode. The user interface is served here once it is built.</p></body>`;

/** Starts web mode; resolves once it listens. */
export function serveWeb(options: WebOptions): Promise<WebHost> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const server: Server = createServer((request, response) => handle(request, response));
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  let port = 0;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  /** Why a request is refused, or undefined when it may go on. */
  function refusal(request: IncomingMessage, url: URL): string | undefined {
    if (!allowedHosts().has(request.headers.host ?? '')) return 'wrong host';
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return 'foreign origin';
    const given = url.searchParams.get('token') ?? bearer(request.headers.authorization);
    if (!given || !sameToken(given, token)) return 'missing or wrong token';
    return undefined;
  }

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const refused = refusal(request, url);
    const headers = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
    if (refused) {
      response.writeHead(403, { ...headers, 'Content-Type': 'text/plain' }).end(`forbidden: ${refused}\n`);
      return;
    }
    if (request.method !== 'GET' || url.pathname !== '/') {
      response.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    response.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8', 'X-Frame-Options': 'DENY' }).end(PAGE);
  }

  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const refused = url.pathname === '/api' ? refusal(request, url) : 'not found';
    if (refused) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nforbidden: ${refused}\n`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      // The runner's events, as they are committed: `{ event }` messages.
      const unsubscribe = options.service.onEvent((event) => ws.send(JSON.stringify({ event })));
      ws.on('close', unsubscribe);
      ws.on('message', (data) => {
        let message: { id?: unknown; method?: unknown; args?: unknown };
        try {
          message = JSON.parse(String(data)) as typeof message;
        } catch {
          ws.send(JSON.stringify({ id: null, result: { ok: false, error: { code: 'bad-request', message: 'messages are JSON: { id, method, args }' } } }));
          return;
        }
        void options.service.call(message.method, message.args).then((result) => ws.send(JSON.stringify({ id: message.id ?? null, result })));
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
