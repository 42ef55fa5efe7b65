/**
 * WebSocket close codes this server sends, beyond graphql-ws's own (4400 bad request,
 * 4403 forbidden, 4408 init timeout, 4409 duplicate subscriber, 4500 internal).
 * 4401 and 4429 mirror HTTP 401 and 429, as graphql-ws reserves 4401 for "Unauthorized".
 */
export enum CloseCode {
  /** connection_init carried a missing, unknown, expired or revoked token, or the session just ended. */
  Unauthorized = 4401,
  /**
   * RFC 6455's "Try Again Later": the token could not be checked because the database is down.
   * graphql-ws clients reconnect after it, whereas 4500 (what a throwing handler gets) is final for them.
   */
  TryAgainLater = 1013,
  /** Over a cap: sockets per session or per client IP, or operations per socket (the reason says which). Retrying at once fails again. */
  TooManyRequests = 4429,
}

/** Close reasons (at most 123 bytes by RFC 6455); clients may show them. */
export enum CloseReason {
  Unauthorized = 'Unauthorized',
  SessionTerminated = 'Session terminated',
  TryAgainLater = 'Try again later',
  /** The session already holds WS_MAX_SOCKETS_PER_SESSION sockets on this instance. */
  TooManySessionConnections = 'Too many connections for this session',
  /** The client's IP already holds WS_MAX_SOCKETS_PER_IP sockets on this instance. */
  TooManyAddressConnections = 'Too many connections from this address',
  /** The socket already runs WS_MAX_SUBSCRIPTIONS_PER_SOCKET operations. */
  TooManySubscriptions = 'Too many subscriptions',
}
