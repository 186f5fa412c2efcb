// Who may use the viewer: with a token set, a request must carry it as `?token=` or as
// `Authorization: Bearer`. WebSocket upgrades must also come from the page's own origin, so
// another site open in the same browser cannot read the cameras through it.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

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
  // Comparing digests keeps the time independent of where the strings differ, and of lengths.
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
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

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
