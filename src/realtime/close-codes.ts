/**
 * WebSocket close codes this server sends, beyond graphql-ws's own (4400 bad request,
 * 4403 forbidden, 4408 init timeout, 4409 duplicate subscriber, 4500 internal).
 * 4401 mirrors HTTP 401, as the graphql-ws protocol reserves it for "Unauthorized".
 */
export enum CloseCode {
  /** connection_init carried a missing, unknown, expired or revoked token, or the session just ended. */
  Unauthorized = 4401,
  /**
   * RFC 6455's "Try Again Later": the token could not be checked because the database is down.
   * graphql-ws clients reconnect after it, whereas 4500 (what a throwing handler gets) is final for them.
   */
  TryAgainLater = 1013,
}

/** Close reasons (at most 123 bytes by RFC 6455); clients may show them. */
export enum CloseReason {
  Unauthorized = 'Unauthorized',
  SessionTerminated = 'Session terminated',
  TryAgainLater = 'Try again later',
}
