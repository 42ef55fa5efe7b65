// Preloaded (`node -r`) into a child instance: its Date runs CLOCK_SKEW_SECONDS ahead of the machine's,
// like a server whose clock drifted. Timers are unaffected (they use a monotonic clock), and so is the database's clock.
const skewMs = Number(process.env.CLOCK_SKEW_SECONDS ?? 0) * 1000;
const RealDate = Date;

class SkewedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + skewMs);
    else super(...args);
  }

  static now() {
    return RealDate.now() + skewMs;
  }
}

globalThis.Date = SkewedDate;
