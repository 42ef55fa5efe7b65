/**
 * @signoff/client: what a web or React Native app needs to talk to signoff.
 *
 * - {@link createSignoffClient}: typed requests over HTTP and a graphql-ws client that carries the
 *   token in `connection_init`, never reconnects once the server closed with 4401 (signed out),
 *   and calls {@link SignoffClient.onSignedOut} listeners when the session ends.
 * - {@link login}: signs in and returns the bearer token (shown once: keep it in memory or
 *   sessionStorage, never in a cookie or localStorage other scripts and later users can read).
 * - `./generated/graphql`: every operation as a TypedDocumentNode (from `npm run codegen`), usable
 *   with this client, Apollo Client or urql alike.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import { LoginDocument, SessionTerminatedDocument, type LoginMutation, type SessionTerminatedSubscription, type TerminationReason } from './generated/graphql';

export * from './generated/graphql';

/** The WebSocket close code by which the server says "signed out" (graphql-ws reserves it for Unauthorized). */
export const SIGNED_OUT_CLOSE_CODE = 4401;

/**
 * A GraphQL error the server answered, with its stable `extensions.code` and, where the server names
 * one, the finer `extensions.reason` (e.g. `LINK_INVALID`, `WRONG_PASSWORD`; see the README's Errors).
 * Branch on these, never on the message text.
 */
export class SignoffError extends Error {
  readonly code: string;
  readonly reason: string | null;
  readonly extensions: Record<string, unknown>;
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = 'SignoffError';
    this.extensions = extensions;
    this.code = typeof extensions.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR';
    this.reason = typeof extensions.reason === 'string' ? extensions.reason : null;
  }
}

/** Why this client stopped being signed in. */
export interface SignedOutEvent {
  /** The server's reason; `UNAUTHORIZED` when the token was refused without a `sessionTerminated` event (e.g. it ended while offline). */
  reason: TerminationReason | 'UNAUTHORIZED';
  terminatedAt: string | null;
  /** The session that signed this one out, when another one did. */
  terminatedBy: SessionTerminatedSubscription['sessionTerminated']['terminatedBy'];
}

export interface HttpOptions {
  /** The GraphQL endpoint, `https://host/graphql`; the WebSocket URL is derived from it. */
  url: string;
  /** Defaults to the global `fetch` (browsers, React Native, Node 18+). */
  fetch?: typeof fetch;
}

export interface SignoffClientOptions extends HttpOptions {
  token: string;
  /** A WebSocket implementation where there is no global one (Node: the `ws` package). */
  webSocketImpl?: unknown;
  /** graphql-ws lifecycle listeners (e.g. `connected`, to refetch what changed while a reconnect was pending). */
  on?: ClientOptions['on'];
  /** How long to wait before reconnecting after a drop that is not a sign-out (graphql-ws's default: randomised exponential backoff). */
  retryWait?: ClientOptions['retryWait'];
}

export interface Observer<T> {
  next(value: T): void;
  error?(error: unknown): void;
  complete?(): void;
}

export interface SignoffClient {
  /** The underlying graphql-ws client, e.g. for Apollo's `GraphQLWsLink`. */
  readonly ws: Client;
  /** Sends one query or mutation over HTTP with the token; throws {@link SignoffError} when the server answers errors. */
  request<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables): Promise<TData>;
  /** Starts a subscription over the WebSocket; returns a function that stops it. */
  subscribe<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables | undefined, observer: Observer<TData>): () => void;
  /** Called once, when this session ends (remotely, by expiry, or because the server refused the token). Returns an unsubscribe function. */
  onSignedOut(listener: (event: SignedOutEvent) => void): () => void;
  readonly signedOut: boolean;
  /** Closes the WebSocket; the session itself stays signed in (use the Logout mutation to end it). */
  dispose(): Promise<void>;
}

/** The WebSocket address of an HTTP GraphQL endpoint: same host and path, ws(s) scheme. */
export function webSocketUrl(httpUrl: string): string {
  return httpUrl.replace(/^http(s?):/i, 'ws$1:');
}

function isSignedOutClose(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'code' in value && value.code === SIGNED_OUT_CLOSE_CODE;
}

async function postOperation<TData, TVariables>(
  options: HttpOptions,
  token: string | undefined,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables | undefined,
): Promise<TData> {
  const send = options.fetch ?? fetch;
  const response = await send(options.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: print(document), variables }),
  });
  let body: { data?: TData | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new SignoffError(`The server answered ${response.status} without a GraphQL response.`, { code: 'INTERNAL_SERVER_ERROR' });
  }
  const [first] = body.errors ?? [];
  if (first) throw new SignoffError(first.message, first.extensions);
  if (!body.data) throw new SignoffError('The server answered no data.', { code: 'INTERNAL_SERVER_ERROR' });
  return body.data;
}

/** What a device tells about itself at sign-in, for servers that accept it (see `login`). */
export interface DeviceInfo {
  name?: string;
  platform?: string;
  appVersion?: string;
}

export interface LoginOptions extends HttpOptions {
  email: string;
  password: string;
  /** The TOTP or a recovery code, once the server answered TWO_FACTOR_REQUIRED. */
  otp?: string;
  /** Sent as `input.device` only when given, so servers whose LoginInput has no `device` field are unaffected. */
  device?: DeviceInfo;
}

/** Signs in; throws {@link SignoffError} (`INVALID_CREDENTIALS`, `TWO_FACTOR_REQUIRED`, `RATE_LIMITED` …). */
export async function login(options: LoginOptions): Promise<LoginMutation['login']> {
  const input = {
    email: options.email,
    password: options.password,
    ...(options.otp ? { otp: options.otp } : {}),
    ...(options.device ? { device: options.device } : {}),
  };
  return (await postOperation(options, undefined, LoginDocument, { input })).login;
}

/**
 * A client for one signed-in session. It subscribes to `sessionTerminated` at once, so the app
 * learns of a remote sign-out the moment it happens, not at its next request.
 */
export function createSignoffClient(options: SignoffClientOptions): SignoffClient {
  const listeners = new Set<(event: SignedOutEvent) => void>();
  let signedOut = false;

  const ws = createClient({
    url: webSocketUrl(options.url),
    webSocketImpl: options.webSocketImpl,
    connectionParams: { authorization: `Bearer ${options.token}` },
    // 4401 means the token is dead: reconnecting could only be refused again. graphql-ws 6 already
    // treats it as fatal; saying so here keeps it that way whatever a later version defaults to.
    // Anything else (a restart, 1001 from an instance shutting down, a network drop) is retried.
    shouldRetry: (errOrCloseEvent) => !signedOut && !isSignedOutClose(errOrCloseEvent),
    retryAttempts: Number.MAX_SAFE_INTEGER,
    ...(options.retryWait ? { retryWait: options.retryWait } : {}),
    on: {
      ...options.on,
      closed: (event) => {
        options.on?.closed?.(event);
        if (isSignedOutClose(event)) signOut({ reason: 'UNAUTHORIZED', terminatedAt: null, terminatedBy: null });
      },
    },
  });

  function signOut(event: SignedOutEvent): void {
    if (signedOut) return;
    signedOut = true;
    for (const listener of [...listeners]) listener(event);
  }

  const subscribe = <TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables | undefined, observer: Observer<TData>) =>
    ws.subscribe<TData>(
      { query: print(document), variables: variables ?? undefined },
      {
        next: (result) => {
          if (result.errors?.length) {
            const [first] = result.errors;
            observer.error?.(new SignoffError(first?.message ?? 'error', first?.extensions));
          } else if (result.data) observer.next(result.data);
        },
        error: (error) => observer.error?.(error),
        complete: () => observer.complete?.(),
      },
    );

  subscribe(SessionTerminatedDocument, undefined, {
    next: ({ sessionTerminated }) => signOut({ reason: sessionTerminated.reason, terminatedAt: sessionTerminated.terminatedAt, terminatedBy: sessionTerminated.terminatedBy }),
    // The close that follows, or a refused token, reaches `on.closed` above.
    error: () => {},
  });

  return {
    ws,
    get signedOut() {
      return signedOut;
    },
    request: async (document, variables) => {
      try {
        return await postOperation(options, options.token, document, variables);
      } catch (err) {
        // A token refused over HTTP is as signed out as one refused over the socket.
        if (err instanceof SignoffError && err.code === 'UNAUTHENTICATED') signOut({ reason: 'UNAUTHORIZED', terminatedAt: null, terminatedBy: null });
        throw err;
      }
    },
    subscribe,
    onSignedOut: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    dispose: () => ws.dispose() as Promise<void>,
  };
}
