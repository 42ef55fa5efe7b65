import type { DataSource } from 'typeorm';

/** Milliseconds since the epoch as this process sees them; the default is the instance's own clock. */
export type LocalClock = () => number;

/** How many round trips one measurement takes; the fastest one bounds the error best. */
const SAMPLES = 3;

/**
 * The one clock of the service: the database's. Instances' clocks drift apart (one running 2 h fast
 * would end sessions that have an hour left), the database is the clock they share.
 *
 * - Queries that decide (is this session expired, idle, live?) compare with the database's own
 *   `now()`: use {@link sqlNow}.
 * - Decisions in memory and timestamps written from here use {@link DatabaseClock.now}: the instance
 *   clock plus an offset to the database clock, measured at start and refreshed periodically.
 */
export class DatabaseClock {
  private offsetMs = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly local: LocalClock = Date.now,
  ) {}

  /** The database's current time, as estimated on this instance. */
  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return this.local() + this.offsetMs;
  }

  /** Database clock minus instance clock, in ms, as last measured. */
  get offset(): number {
    return this.offsetMs;
  }

  /**
   * Measures the offset: the database's time against the midpoint of the round trip that read it,
   * keeping the sample with the shortest round trip (its error is at most half of it).
   */
  async sync(): Promise<void> {
    const query =
      this.dataSource.options.type === 'postgres'
        ? 'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms'
        : "SELECT (julianday('now') - 2440587.5) * 86400000.0 AS ms";
    let bestRoundTrip = Infinity;
    for (let i = 0; i < SAMPLES; i++) {
      const sent = this.local();
      const [row] = await this.dataSource.query<{ ms: number | string }[]>(query);
      const received = this.local();
      if (received - sent < bestRoundTrip) {
        bestRoundTrip = received - sent;
        this.offsetMs = Number(row?.ms) - (sent + received) / 2;
      }
    }
  }

  /** Re-measures every `refreshSeconds` (clocks keep drifting, NTP steps them); failures keep the last offset. */
  start(refreshSeconds: number, onError: (err: unknown) => void): void {
    this.timer = setInterval(() => void this.sync().catch(onError), refreshSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * SQL for the database's current time, `shiftSeconds` later (negative: earlier), comparable with the
 * timestamp columns of this backend (timestamptz on Postgres, TypeORM's UTC text on SQLite).
 */
function sqlNow(dataSource: DataSource, shiftSeconds = 0): string {
  if (!Number.isFinite(shiftSeconds)) throw new Error(`shiftSeconds must be finite, got ${shiftSeconds}`);
  const shift = Math.round(shiftSeconds * 1000) / 1000;
  if (dataSource.options.type === 'postgres') {
    return shift === 0 ? 'now()' : `(now() + interval '${shift} seconds')`;
  }
  return shift === 0 ? "strftime('%Y-%m-%d %H:%M:%f', 'now')" : `strftime('%Y-%m-%d %H:%M:%f', 'now', '${shift >= 0 ? '+' : ''}${shift} seconds')`;
}
