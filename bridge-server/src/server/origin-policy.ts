/**
 * Which `Origin` headers may reach the bridge. WebSockets have no CORS, so without this any web
 * page open in the user's browser could connect to 127.0.0.1 and drive the bridge. Browsers
 * always send Origin on WebSocket upgrades and on cross-site fetches, and a page cannot forge it.
 *
 * Policy:
 * - no Origin header: allowed (native clients: GIMP's Python, curl, Node);
 * - non-web schemes (file:, uxp:, app:, …): allowed, these are desktop hosts such as Photoshop's
 *   UXP panels (the token still guards them);
 * - a bare plug-in id without a scheme (e.g. "dev.latent-bridge.photoshop"): allowed; Adobe does
 *   not document the Origin a UXP WebSocket sends, and browsers only ever send scheme://host or
 *   null, so no web page can produce one;
 * - `null`: allowed only while a token guards the bridge (or when listed): a sandboxed iframe on
 *   any web page sends `null` too;
 * - http: and https: origins: refused unless on the allow-list (compared as scheme://host[:port],
 *   case-insensitively, default ports dropped);
 * - anything that does not parse as an origin: refused.
 */
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;

  /**
   * `loopbackOnly`: the server listens on a loopback address, so every honest request names a
   * loopback host. Other Host headers come from DNS rebinding (a web page whose name was re-pointed
   * at 127.0.0.1, which makes its requests same-origin and so free of an Origin header).
   */
  private readonly allowNull: boolean;

  /** `tokenRequired`: false when the bridge runs without a token; `null` origins then need listing. */
  constructor(
    allowList: readonly string[] = [],
    private readonly loopbackOnly = false,
    tokenRequired = true,
  ) {
    this.allowed = new Set(allowList.map((o) => normalizeOrigin(o) ?? o.trim().toLowerCase()));
    this.allowNull = tokenRequired || this.allowed.has('null');
  }

  /** Whether a request with these headers may proceed. */
  allowsRequest(origin: string | undefined, host: string | undefined): boolean {
    return this.allows(origin) && (!this.loopbackOnly || isLoopbackHost(host));
  }

  allows(origin: string | undefined): boolean {
    if (origin === undefined) return true;
    const value = origin.trim();
    if (value === '') return true;
    if (value.toLowerCase() === 'null') return this.allowNull;
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
    if (scheme === undefined) return /^[a-z0-9][a-z0-9._-]*$/i.test(value);
    if (scheme !== 'http' && scheme !== 'https') return true;
    const normalized = normalizeOrigin(value);
    return normalized !== undefined && this.allowed.has(normalized);
  }
}

/** scheme://host[:port] in lower case with the default port dropped; undefined when not a web origin. */
export function normalizeOrigin(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.origin.toLowerCase();
}

/** Host header naming this machine: localhost (and *.localhost), 127.x.y.z or [::1], any port. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined || host === '') return true;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return false;
  }
  return hostname === 'localhost' || hostname.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === '[::1]';
}

/** Whether an address to listen on is a loopback one. */
export function isLoopbackAddress(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\./.test(address);
}
