import { createHash } from 'node:crypto';
import type { RequestHandler, Response } from 'express';

/**
 * Browser hardening for every response: no MIME sniffing, no Referer (page URLs carry tokens),
 * and a Content-Security-Policy that allows nothing. Pages that need scripts or styles widen it
 * with {@link setPagePolicy}, listing their inline code by hash, so an injected script never runs.
 */
export function securityHeaders(): RequestHandler {
  // Built once: the same four headers go on every response (rebuilding the policy showed in a CPU profile).
  const headers = {
    'Content-Security-Policy': contentSecurityPolicy({}),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY', // frame-ancestors for browsers without CSP 2
  };
  return (_req, res, next) => {
    res.set(headers);
    next();
  };
}

/** `'sha256-…'` of an inline `<script>` or `<style>` body, exactly as the page carries it. */
function cspHash(inline: string): string {
  return `'sha256-${createHash('sha256').update(inline, 'utf8').digest('base64')}'`;
}

export interface PagePolicy {
  /** Inline script bodies allowed to run (by hash). */
  inlineScripts?: string[];
  inlineStyles?: string[];
  /** Scripts and stylesheets this server serves (`'self'`). */
  ownFiles?: boolean;
  /** The page calls the API (fetch, and WebSocket for subscriptions). */
  connect?: boolean;
  /** data: URIs for images and fonts (GraphiQL's icons). */
  dataImages?: boolean;
  /** With `connect`: also `ws://` and `wss://` of this host (older browsers do not count them as 'self'). */
  webSocketHost?: string;
}

function contentSecurityPolicy(policy: PagePolicy): string {
  const sources = (own: boolean, inline: string[] = []) => [...(own ? ["'self'"] : []), ...inline.map(cspHash)];
  const directives: [string, string[]][] = [
    ['default-src', ["'none'"]],
    ['script-src', sources(policy.ownFiles ?? false, policy.inlineScripts)],
    ['style-src', sources(policy.ownFiles ?? false, policy.inlineStyles)],
    ['img-src', policy.dataImages ? ["'self'", 'data:'] : []],
    ['font-src', policy.dataImages ? ["'self'", 'data:'] : []],
    ['connect-src', policy.connect ? ["'self'", ...(policy.webSocketHost ? [`ws://${policy.webSocketHost}`, `wss://${policy.webSocketHost}`] : [])] : []],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
  ];
  return directives
    .filter(([, values]) => values.length > 0)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}

export function setPagePolicy(res: Response, policy: PagePolicy): void {
  res.set('Content-Security-Policy', contentSecurityPolicy(policy));
}
