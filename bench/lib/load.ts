import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

export interface LoadTarget {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** A response body is counted as a mismatch (and fails the run) unless this accepts it. */
  verifyBody: (body: string) => boolean;
}

export interface LoadRound {
  requests: number;
  seconds: number;
  /** Completed requests in each whole second of the round. */
  perSecond: number[];
  /** Milliseconds per request, every request of the round. */
  latencies: number[];
}

/**
 * One autocannon run at fixed concurrency. Latencies and per-second counts are collected from
 * its `response` events, so every percentile in the report comes from lib/stats the same way.
 */
export async function runLoad(target: LoadTarget, options: { connections: number; seconds: number }): Promise<LoadRound> {
  const latencies: number[] = [];
  const perSecond: number[] = [];
  let startedAt = 0;
  const instance = autocannon({
    url: target.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: target.body,
    connections: options.connections,
    duration: options.seconds,
    pipelining: 1,
    timeout: 10,
    verifyBody: target.verifyBody,
  });
  instance.on('start', () => (startedAt = performance.now()));
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    const second = Math.floor((performance.now() - startedAt) / 1000);
    perSecond[second] = (perSecond[second] ?? 0) + 1;
  });
  const result = await instance;
  const failures = result.errors + result.timeouts + result.non2xx + result.mismatches;
  if (failures > 0) {
    throw new Error(`${target.url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx, ${result.mismatches} unexpected bodies`);
  }
  // The last second is cut short by the end of the run; only whole seconds are rates.
  const wholeSeconds = Array.from({ length: Math.max(1, Math.floor(result.duration)) }, (_, second) => perSecond[second] ?? 0);
  return { requests: latencies.length, seconds: result.duration, perSecond: wholeSeconds, latencies };
}
