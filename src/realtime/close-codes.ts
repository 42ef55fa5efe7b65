/**
 * WebSocket close codes this server sends, beyond graphql-ws's own (4400 bad request,
 * 4403 forbidden, 4408 init timeout, 4409 duplicate subscriber, 4500 internal).
 * 4401 mirrors HTTP 401, as the graphql-ws protocol reserves it for "Unauthorized".
 */
export enum CloseCode {
  /** connection_init carried a missing, unknown, expired or revoked token, or the session just ended. */
  Unauthorized = 4401,
}

/** Close reasons (at most 123 bytes by RFC 6455); clients may show them. */
export enum CloseReason {
  Unauthorized = 'Unauthorized',
  SessionTerminated = 'Session terminated',
}
