// OAUTHBEARER tokens from an OIDC token endpoint, client credentials grant (what librdkafka's
// sasl.oauthbearer.method=oidc does): fetched when needed, reused until a minute before expiry.

export interface OidcClient {
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
}

export function oidcTokenProvider(c: OidcClient, now: () => number = Date.now): () => Promise<string> {
  const source = oidcTokenSource(c, now);
  return async () => (await source()).token;
}

/** The same tokens with their expiry (ms since the epoch), which librdkafka wants as the token's lifetime. */
export function oidcTokenSource(c: OidcClient, now: () => number = Date.now): () => Promise<{ token: string; expiresAt: number }> {
  let cached: { token: string; until: number; expiresAt: number } | undefined;
  return async () => {
    if (cached && now() < cached.until) return cached;
    const body = new URLSearchParams({ grant_type: 'client_credentials', ...(c.scope && { scope: c.scope }) });
    const res = await fetch(c.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret)}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body,
      redirect: 'error',
    });
    if (!res.ok) throw new Error(`OAUTHBEARER: token endpoint ${c.tokenEndpoint} answered ${res.status}`);
    const json = (await res.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof json.access_token !== 'string') throw new Error(`OAUTHBEARER: token endpoint ${c.tokenEndpoint} returned no access_token`);
    const lifetimeS = typeof json.expires_in === 'number' ? json.expires_in : 300;
    const at = now();
    cached = { token: json.access_token, until: at + Math.max(0, lifetimeS - 60) * 1000, expiresAt: at + lifetimeS * 1000 };
    return cached;
  };
}
