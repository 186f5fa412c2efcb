// Who may use the viewer: every request must name an allowed Host (no DNS rebinding); with a
// token set, it must carry it as `?token=` or as `Authorization: Bearer`. WebSocket upgrades
// must also come from the page's own origin, so another site open in the same browser cannot
// read the cameras through it.
import type { IncomingMessage } from 'node:http';
import { sameSecret } from '../../common/secrets.js';

/** The request's path and query; undefined when the request target does not parse. */
export function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    // Prefixed rather than resolved against a base, so that `//x` stays a path, not a host.
    return new URL(`http://localhost${req.url ?? '/'}`);
  } catch {
    return undefined;
  }
}

export function hasToken(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const given = requestUrl(req)?.searchParams.get('token') ?? /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  return given !== undefined && sameSecret(given, token);
}

/**
 * The Host values a viewer listening on `host`:`port` answers by default: that address (unless
 * it is every interface), localhost and the loopback addresses, each with the port.
 */
export function defaultAllowedHosts(host: string, port: number): string[] {
  const bound = host === '0.0.0.0' || host === '::' ? [] : [host.includes(':') ? `[${host}]` : host];
  return [...new Set([...bound, 'localhost', '127.0.0.1', '[::1]'])].map((h) => `${h}:${port}`);
}

/** `name` or `name:port` (`[v6]` or `[v6]:port`), lower-cased; undefined when it is neither. */
function hostAndPort(value: string): { name: string; port?: string } | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  return m ? { name: m[1]!.toLowerCase(), port: m[2] } : undefined;
}

/**
 * Whether the request's Host header is one of `allowed` (an entry without a port allows any
 * port). A page of another name that resolves to this server (DNS rebinding) is so refused:
 * its requests carry that name.
 */
export function hostAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const host = hostAndPort(req.headers.host ?? '');
  if (!host) return false;
  return allowed.some((entry) => {
    const a = hostAndPort(entry);
    return a !== undefined && a.name === host.name && (a.port === undefined || a.port === host.port);
  });
}

/** True when the request has no Origin (not a browser) or comes from the host it addresses. */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
