import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Push endpoints are chosen by receivers, so a push is a request our network makes on their behalf
 * (SSRF). The rule: http(s) URLs only, no credentials in the URL, no redirects followed, and the
 * address actually connected to (checked at connect time, after DNS, so rebinding does not help)
 * must be public unless SSF_ALLOW_PRIVATE_RECEIVERS is set.
 */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return PRIVATE.check(mapped[1], 'ipv4');
  }
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why `raw` cannot be a push endpoint, or null when it can (the address is checked again at connect time). */
export function endpointProblem(raw: unknown, allowPrivate: boolean): string | null {
  if (typeof raw !== 'string' || raw.length > 2048) return 'endpoint_url must be an http or https URL';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'endpoint_url must be an http or https URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'endpoint_url must be an http or https URL';
  if (url.username || url.password) return 'endpoint_url must not carry credentials (use delivery.authorization_header)';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (isIP(host) ? isPrivateAddress(host) : host === 'localhost' || host.endsWith('.localhost'))) {
    return 'endpoint_url must be a public address';
  }
  return null;
}

/** A DNS lookup that refuses private answers: the check happens on the address the socket will use. */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const allowed = addresses.filter((entry) => allowPrivate || !isPrivateAddress(entry.address));
      if (allowed.length === 0) return callback(Object.assign(new Error(`${hostname} resolves to a private address`), { code: 'EPRIVATE' }), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

export interface PushResult {
  /** 202 (or any 2xx): the receiver has it. */
  status: number;
  body: string;
}

/** POSTs one SET (RFC 8935 §2). Never follows redirects; rejects on network errors and timeouts. */
export function postSet(url: string, set: string, options: { authorization?: string | null; timeoutMs: number; allowPrivate: boolean }): Promise<PushResult> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (!options.allowPrivate && isIP(host) && isPrivateAddress(host)) return Promise.reject(new Error('endpoint is a private address'));
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        lookup: guardedLookup(options.allowPrivate),
        timeout: options.timeoutMs,
        headers: {
          'content-type': 'application/secevent+jwt',
          accept: 'application/json',
          'content-length': Buffer.byteLength(set),
          ...(options.authorization ? { authorization: options.authorization } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 4096) chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, 4096) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(set);
  });
}
