import { request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { deferred, within, type Deferred } from './deferred';

/** A device as the server sees it: a source address on the loopback range and a User-Agent. */
export interface TestDevice {
  ip: string;
  userAgent: string;
}

export const DEVICES = {
  chromeOnWindows: {
    ip: '127.0.0.2',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  },
  safariOnIphone: {
    ip: '127.0.0.3',
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  },
  chromeOnPixel: {
    ip: '127.0.0.4',
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36',
  },
  firefoxOnMac: {
    ip: '127.0.0.5',
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0',
  },
} satisfies Record<string, TestDevice>;

export interface GraphqlResponse<T> {
  status: number;
  data?: T | null;
  errors?: GraphQLFormattedError[];
}

export interface RequestOptions {
  token?: string;
  device?: TestDevice;
  headers?: Record<string, string>;
}

/** POSTs one operation over real HTTP from the device's address. */
export function graphql<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables> | string,
  variables?: TVariables,
  options: RequestOptions = {},
): Promise<GraphqlResponse<TData>> {
  const device = options.device ?? DEVICES.chromeOnWindows;
  const body = JSON.stringify({ query: typeof document === 'string' ? document : print(document), variables });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        localAddress: device.ip,
        headers: {
          'content-type': 'application/json',
          'user-agent': device.userAgent,
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, ...(JSON.parse(text) as object) });
          } catch {
            reject(new Error(`non-JSON response ${res.statusCode}: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The data of a response that must have succeeded; fails the test with the errors otherwise. */
export function dataOf<T>(response: GraphqlResponse<T>): T {
  if (response.errors?.length || !response.data) {
    throw new Error(`expected data, got ${JSON.stringify(response.errors ?? response)}`);
  }
  return response.data;
}

export function errorCodes(response: GraphqlResponse<unknown>): unknown[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}

export interface CloseInfo {
  code: number;
  reason: string;
}

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

/** A WebSocket class bound to a device's source address, for graphql-ws's client. */
function socketClassFor(device: TestDevice, onClose: (info: CloseInfo) => void) {
  return class DeviceSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { localAddress: device.ip, headers: { 'user-agent': device.userAgent } });
      this.once('close', (code: number, reason: Buffer) => onClose({ code, reason: reason.toString() }));
    }
  };
}

/** A stream of one subscription's events, read in order. */
export class EventQueue<T> {
  private readonly items: T[] = [];
  private readonly waiters: Deferred<T>[] = [];
  readonly errors: unknown[] = [];
  readonly completed = deferred<void>();
  /** performance.now() of each arrival, for latency figures. */
  readonly arrivals: number[] = [];

  push(item: T): void {
    this.arrivals.push(performance.now());
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(item);
    else this.items.push(item);
  }

  next(ms = 5000, what = 'a subscription event'): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    const waiter = deferred<T>();
    this.waiters.push(waiter);
    return within(waiter.promise, ms, what);
  }

  get pending(): number {
    return this.items.length;
  }
}

/** A graphql-ws connection from a device, authenticated with `token`, that records how it closed. */
export class LiveConnection {
  readonly closed = deferred<CloseInfo>();
  /** performance.now() when the socket closed. */
  closedAt?: number;
  readonly client: Client;

  private constructor(url: string, token: string | undefined, device: TestDevice) {
    this.client = createClient({
      url: wsUrl(url),
      webSocketImpl: socketClassFor(device, (info) => {
        this.closedAt = performance.now();
        this.closed.resolve(info);
      }),
      connectionParams: token === undefined ? {} : { authorization: `Bearer ${token}` },
      lazy: false,
      retryAttempts: 0,
      onNonLazyError: () => undefined,
    });
  }

  /** Resolves once the server acknowledged connection_init. */
  static async open(url: string, token: string, device: TestDevice = DEVICES.chromeOnWindows): Promise<LiveConnection> {
    const connection = new LiveConnection(url, token, device);
    const acknowledged = deferred<void>();
    const offConnected = connection.client.on('connected', () => acknowledged.resolve());
    void connection.closed.promise.then((info) => acknowledged.reject(new Error(`closed ${info.code} ${info.reason}`))); // `closed` only resolves
    await within(acknowledged.promise, 5000, 'connection_ack');
    offConnected();
    return connection;
  }

  /** Subscribes and resolves once the server has registered the operation (it answers nothing before events). */
  subscribe<TData>(document: TypedDocumentNode<TData, Record<string, never>>): EventQueue<TData> {
    const queue = new EventQueue<TData>();
    this.client.subscribe<TData>(
      { query: print(document) },
      {
        next: (result) => {
          if (result.errors) queue.errors.push(...result.errors);
          if (result.data) queue.push(result.data);
        },
        error: (error) => queue.errors.push(error),
        complete: () => queue.completed.resolve(),
      },
    );
    return queue;
  }

  waitForClose(ms = 5000): Promise<CloseInfo> {
    return within(this.closed.promise, ms, 'the socket to close');
  }

  async dispose(): Promise<void> {
    await this.client.dispose();
  }
}

/**
 * Opens a bare graphql-transport-ws socket and sends connection_init with `authorization`;
 * resolves with the close code if the server closes it, or 'acknowledged'.
 */
export function tryConnect(url: string, authorization: string | undefined, device: TestDevice = DEVICES.chromeOnWindows): Promise<CloseInfo | 'acknowledged'> {
  return within(
    new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl(url), 'graphql-transport-ws', { localAddress: device.ip });
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: authorization === undefined ? {} : { authorization } })));
      socket.on('message', (data) => {
        if (JSON.parse(String(data)).type === 'connection_ack') {
          resolve('acknowledged');
          socket.close(1000);
        }
      });
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      socket.on('error', reject);
    }),
    5000,
    'the server to answer connection_init',
  );
}

/** GraphQL errors a subscription received; the close of its socket (reported as an error by graphql-ws) is not one. */
export function graphqlErrors(errors: unknown[]): unknown[] {
  return errors.filter((error) => !(typeof error === 'object' && error !== null && 'code' in error && 'reason' in error));
}
