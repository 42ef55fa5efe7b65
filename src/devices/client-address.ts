import type { IncomingMessage } from 'node:http';
import { isIPv4 } from 'node:net';
import proxyAddr from 'proxy-addr';
import type { Config } from '../config/config';

/** "::ffff:127.0.0.3" is how Node reports IPv4 on a dual-stack socket; people know it as 127.0.0.3. */
export function normalizeIp(ip: string | undefined): string {
  if (!ip) return '0.0.0.0';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1] && isIPv4(mapped[1])) return mapped[1];
  return ip.toLowerCase();
}

/**
 * The address of the person's device, for HTTP requests and WebSocket upgrades alike:
 * X-Forwarded-For is believed only from proxies named in TRUST_PROXY.
 */
export function createClientAddressResolver(trustProxy: Config['trustProxy']) {
  if (trustProxy === false) {
    return (req: IncomingMessage): string => normalizeIp(req.socket.remoteAddress);
  }
  const trust = typeof trustProxy === 'number' ? (_: string, hop: number) => hop < trustProxy : proxyAddr.compile(trustProxy.split(',').map((s) => s.trim()));
  return (req: IncomingMessage): string => normalizeIp(proxyAddr(req, trust));
}
