/**
 * The interface's Content-Security-Policy, one for every host: web mode sends it with the
 * page, the desktop app with each file of its app:// scheme. (renderer/index.html carries the
 * same policy as a meta tag, for a page opened some other way.) `connect` adds the sockets
 * the page may open besides its own origin.
 */
export function contentSecurityPolicy(connect: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // React Flow positions nodes with style attributes.
    "style-src 'self' 'unsafe-inline'",
    `connect-src ${["'self'", ...connect].join(' ')}`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
