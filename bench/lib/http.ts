import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

export interface TimedResponse<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  /** performance.now() just before the request body was handed to the socket. */
  sentAt: number;
  /** performance.now() when the last byte of the response arrived. */
  returnedAt: number;
}

/** Kept-alive connections, as a real client would hold: TCP setup is not what we measure. */
export const keepAliveAgent = new Agent({ keepAlive: true, maxSockets: 64 });

const printed = new WeakMap<object, string>();
function queryText(document: TypedDocumentNode<unknown, unknown> | string): string {
  if (typeof document === 'string') return document;
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

/** POSTs one GraphQL operation and stamps when it was sent and when its answer was complete. */
export function timedGraphql<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables> | string,
  variables: TVariables | undefined,
  options: { token?: string; timeoutMs?: number } = {},
): Promise<TimedResponse<TData>> {
  const body = JSON.stringify({ query: queryText(document as TypedDocumentNode<unknown, unknown> | string), variables });
  return new Promise((resolve, reject) => {
    let sentAt = 0;
    const req = request(
      url,
      {
        method: 'POST',
        agent: keepAliveAgent,
        timeout: options.timeoutMs ?? 30_000,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const returnedAt = performance.now();
          try {
            const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<TimedResponse<TData>, 'status' | 'sentAt' | 'returnedAt'>;
            resolve({ ...parsed, status: res.statusCode ?? 0, sentAt, returnedAt });
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${options.timeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
    sentAt = performance.now();
    req.end(body);
  });
}

/** The data of a response that must have succeeded. */
export function dataOf<T>(response: TimedResponse<T>): T {
  if (response.errors?.length || !response.data) throw new Error(`expected data, got ${JSON.stringify(response.errors ?? response)}`);
  return response.data;
}
