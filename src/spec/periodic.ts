// locksmith's reboot window, read exactly as locksmithd reads it: flatcar/locksmith
// pkg/timeutil/periodic.go ParsePeriodic(start, duration) and Go's time.ParseDuration. Anything it
// refuses makes locksmithd exit at the first reboot it needs (locksmithctl/daemon.go,
// waitForRebootWindow), and systemd restarts it every 10 s: the node never reboots for updates.

/** Go's unicode.IsSpace, which strings.Fields splits at (JavaScript's \s differs: U+FEFF, U+0085). */
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;
/** periodic.go `weekdays`, matched after strings.ToLower. */
const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
/** fmt.Sscanf(f, "%d:%d"): each %d is [+-]?[0-9]+; what follows the second number is not looked at. */
const TIME_OF_DAY = /^([+-]?\d+):([+-]?\d+)/;

interface WindowStart {
  /** 0 = Sunday, as Go's time.Weekday; undefined for a daily window. */
  readonly weekday?: number;
  readonly hour: number;
  readonly minute: number;
  /** Text after the minutes that Sscanf stops before (locksmith ignores it), "" when none. */
  readonly ignored: string;
}

/** Go's strings.ToLower for the weekday names: per rune, simple case mapping (İ → i, not i̇). */
const goLower = (s: string) => [...s].map((c) => (c === "\u0130" ? "i" : c.toLowerCase())).join("");

/** parseStart of periodic.go: the start, or why locksmith refuses it. */
export function parseWindowStart(start: string): WindowStart | { readonly error: string } {
  const fields = start.split(GO_SPACE).filter(Boolean);
  if (fields.length === 0) return { error: "no time of day" };
  if (fields.length > 2) return { error: "more than a weekday and a time" };
  let weekday: number | undefined;
  if (fields.length === 2) {
    weekday = WEEKDAYS.indexOf(goLower(fields[0]!));
    if (weekday < 0) return { error: `unknown weekday "${fields[0]}"` };
  }
  const time = fields[fields.length - 1]!;
  const m = TIME_OF_DAY.exec(time);
  if (!m) return { error: `"${time}" is not HH:MM` };
  // BigInt: Sscanf reads any number of digits; out of int64 it fails, which the ranges below refuse too.
  const [hour, minute] = [BigInt(m[1]!), BigInt(m[2]!)];
  if (hour < 0n || hour > 23n) return { error: `hour ${m[1]} is not 0 to 23` };
  if (minute < 0n || minute > 59n) return { error: `minute ${m[2]} is not 0 to 59` };
  return { ...(weekday === undefined ? {} : { weekday }), hour: Number(hour), minute: Number(minute), ignored: time.slice(m[0].length) };
}

/** The start as locksmith understood it, e.g. "Thu 04:00". */
export function formatWindowStart(start: WindowStart): string {
  const day = start.weekday === undefined ? "" : `${WEEKDAYS[start.weekday]![0]!.toUpperCase()}${WEEKDAYS[start.weekday]!.slice(1)} `;
  return `${day}${String(start.hour).padStart(2, "0")}:${String(start.minute).padStart(2, "0")}`;
}

const NS: Record<string, bigint> = { ns: 1n, us: 1_000n, "µs": 1_000n, "μs": 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };
const MAX = 1n << 63n;
const HOUR_NS = NS.h!;

/**
 * Go's time.ParseDuration (src/time/format.go), in nanoseconds; undefined where Go returns an error.
 * A port, overflow checks and float rounding of fractions included: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`.
 */
export function parseGoDuration(text: string): bigint | undefined {
  let s = text;
  let negative = false;
  if (s[0] === "-" || s[0] === "+") {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") return undefined;
  let total = 0n;
  while (s !== "") {
    const number = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    const [whole, fraction] = [number[1]!, number[2]];
    if (whole === "" && !fraction) return undefined; // no digits: ".s", "-.s"
    s = s.slice(number[0].length);
    const unitLength = s.search(/[.\d]/);
    const unit = unitLength < 0 ? s : s.slice(0, unitLength);
    if (unit === "" || NS[unit] === undefined) return undefined; // missing or unknown unit
    s = s.slice(unit.length);
    const scale = NS[unit]!;
    // leadingInt: an integer part past 2^63 is an error.
    let v = BigInt(whole || "0");
    if (v > MAX || v > MAX / scale) return undefined;
    v *= scale;
    if (fraction) {
      // leadingFraction keeps digits while they fit in 63 bits, then v += uint64(float64(f) * (unit / scale)).
      let f = 0n;
      let fscale = 1;
      for (const digit of fraction) {
        const next = f * 10n + BigInt(digit);
        if (f > (MAX - 1n) / 10n || next > MAX) break;
        f = next;
        fscale *= 10;
      }
      v += BigInt(Math.trunc(Number(f) * (Number(scale) / fscale)));
      if (v > MAX) return undefined;
    }
    total += v;
    if (total > MAX) return undefined;
  }
  if (negative) return -total;
  return total > MAX - 1n ? undefined : total;
}

/**
 * The longest window locksmith takes is shorter than its period: under a day when the start has no
 * weekday, under a week when it has one (`duration cannot exceed period`, ParsePeriodic).
 */
export const periodNs = (start: WindowStart): bigint => (start.weekday === undefined ? 24n : 168n) * HOUR_NS;
