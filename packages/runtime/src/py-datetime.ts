/**
 * Python's `datetime.datetime` in TypeScript: a `Date` (use it as one) that also keeps
 * what a Date cannot hold, so it goes back to Python exactly as it came:
 * the microseconds below the millisecond, the UTC offset (`null` for a naive
 * datetime, whose wall-clock time the Date holds as if it were UTC), and the
 * `zoneinfo` key of an aware datetime in a named zone.
 *
 * A plain `Date` sent to Python becomes an aware datetime in UTC.
 */
export class PyDateTime extends Date {
  /** Microseconds beyond the Date's milliseconds, 0-999. */
  readonly extraMicroseconds: number;
  /** The UTC offset in seconds; `null` for a naive datetime. */
  readonly utcOffsetSeconds: number | null;
  /** The IANA zone key (`zoneinfo.ZoneInfo`), or `null` for a fixed offset or naive. */
  readonly timeZone: string | null;

  /**
   * From microseconds since the Unix epoch (for a naive datetime: since
   * 1970-01-01T00:00 wall-clock time), the offset and the zone.
   */
  constructor(epochMicroseconds: bigint | number, utcOffsetSeconds: number | null = 0, timeZone: string | null = null) {
    const micros = BigInt(epochMicroseconds);
    const ms = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
    super(Number(ms));
    this.extraMicroseconds = Number(micros - ms * 1000n);
    this.utcOffsetSeconds = utcOffsetSeconds;
    this.timeZone = timeZone;
  }

  /** Microseconds since the epoch, exactly. */
  get epochMicroseconds(): bigint {
    return BigInt(this.getTime()) * 1000n + BigInt(this.extraMicroseconds);
  }

  /** Whether Python's datetime had no time zone. */
  get naive(): boolean {
    return this.utcOffsetSeconds === null;
  }
}

/** Python's `datetime.date`: a calendar day with no time and no zone. */
export class PyDate {
  constructor(
    readonly year: number,
    /** 1-12. */
    readonly month: number,
    /** 1-31. */
    readonly day: number,
  ) {
    const probe = new Date(Date.UTC(year, month - 1, day));
    if (!Number.isInteger(year) || year < 1 || year > 9999 || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
      throw new RangeError(`PyDate: ${year}-${month}-${day} is not a date Python can hold`);
    }
  }

  /** Midnight UTC of that day, as a Date. */
  toDate(): Date {
    const date = new Date(Date.UTC(this.year, this.month - 1, this.day));
    date.setUTCFullYear(this.year); // Date.UTC maps years 0-99 to 1900-1999
    return date;
  }

  /** `2024-02-29` */
  toString(): string {
    return `${String(this.year).padStart(4, "0")}-${String(this.month).padStart(2, "0")}-${String(this.day).padStart(2, "0")}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Python's `datetime.time`: a time of day, optionally with a UTC offset or zone. */
export class PyTime {
  constructor(
    readonly hour: number,
    readonly minute = 0,
    readonly second = 0,
    readonly microsecond = 0,
    /** Seconds east of UTC; `null` for a naive time. */
    readonly utcOffsetSeconds: number | null = null,
    /** The IANA zone key, for a time with a `zoneinfo.ZoneInfo`. */
    readonly timeZone: string | null = null,
  ) {
    const ok = (v: number, max: number) => Number.isInteger(v) && v >= 0 && v <= max;
    if (!ok(hour, 23) || !ok(minute, 59) || !ok(second, 59) || !ok(microsecond, 999_999)) {
      throw new RangeError(`PyTime: ${hour}:${minute}:${second}.${microsecond} is not a time of day`);
    }
  }

  /** `13:05:09.000250` */
  toString(): string {
    const two = (n: number) => String(n).padStart(2, "0");
    const base = `${two(this.hour)}:${two(this.minute)}:${two(this.second)}`;
    return this.microsecond ? `${base}.${String(this.microsecond).padStart(6, "0")}` : base;
  }

  toJSON(): string {
    return this.toString();
  }
}

const MICROS_PER_DAY = 86_400_000_000n;

/**
 * Python's `datetime.timedelta`, normalized as Python does: `days` (may be negative),
 * `seconds` in 0-86399, `microseconds` in 0-999999.
 */
export class PyTimedelta {
  readonly days: number;
  readonly seconds: number;
  readonly microseconds: number;

  constructor(days = 0, seconds = 0, microseconds = 0) {
    if (![days, seconds, microseconds].every(Number.isSafeInteger)) {
      throw new RangeError("PyTimedelta: days, seconds and microseconds must be integers (use PyTimedelta.from for fractions)");
    }
    const total = BigInt(days) * MICROS_PER_DAY + BigInt(seconds) * 1_000_000n + BigInt(microseconds);
    const d = total >= 0n ? total / MICROS_PER_DAY : -((-total + MICROS_PER_DAY - 1n) / MICROS_PER_DAY);
    const rest = total - d * MICROS_PER_DAY;
    this.days = Number(d);
    this.seconds = Number(rest / 1_000_000n);
    this.microseconds = Number(rest % 1_000_000n);
    if (Math.abs(this.days) > 999_999_999) throw new RangeError("PyTimedelta: more than 999999999 days");
  }

  /** From any mix of units, like Python's `timedelta(...)` keyword arguments (rounded to microseconds). */
  static from(parts: { weeks?: number; days?: number; hours?: number; minutes?: number; seconds?: number; milliseconds?: number; microseconds?: number }): PyTimedelta {
    const micros =
      (parts.weeks ?? 0) * 7 * 86_400e6 +
      (parts.days ?? 0) * 86_400e6 +
      (parts.hours ?? 0) * 3_600e6 +
      (parts.minutes ?? 0) * 60e6 +
      (parts.seconds ?? 0) * 1e6 +
      (parts.milliseconds ?? 0) * 1e3 +
      (parts.microseconds ?? 0);
    return new PyTimedelta(0, 0, Math.round(micros));
  }

  /** The whole duration in microseconds, exactly. */
  get totalMicroseconds(): bigint {
    return BigInt(this.days) * MICROS_PER_DAY + BigInt(this.seconds) * 1_000_000n + BigInt(this.microseconds);
  }

  /** The duration in milliseconds (a float, as `Date` arithmetic wants). */
  get totalMilliseconds(): number {
    return this.days * 86_400_000 + this.seconds * 1000 + this.microseconds / 1000;
  }

  /** `1 day, 2:03:04.000005`, as Python prints it. */
  toString(): string {
    const h = Math.floor(this.seconds / 3600);
    const m = Math.floor((this.seconds % 3600) / 60);
    const s = this.seconds % 60;
    const clock = `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}${this.microseconds ? `.${String(this.microseconds).padStart(6, "0")}` : ""}`;
    return this.days ? `${this.days} day${Math.abs(this.days) === 1 ? "" : "s"}, ${clock}` : clock;
  }
}
