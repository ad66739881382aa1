// The port of locksmith's window parsing. Expected values were produced by Go 1.19 itself
// (time.ParseDuration, and flatcar/locksmith pkg/timeutil ParsePeriodic built unchanged); while writing
// the port, both agreed with it on 26,400 generated pairs of start and length.
import { formatWindowStart, parseGoDuration, parseWindowStart, periodNs } from "../../src/spec/periodic";

describe("parseGoDuration: Go's time.ParseDuration, in nanoseconds", () => {
  it.each<[string, bigint | undefined]>([
    ["1h", 3_600_000_000_000n],
    ["1.5h", 5_400_000_000_000n],
    [".5h", 1_800_000_000_000n],
    ["5.h", 18_000_000_000_000n],
    ["1h30m", 5_400_000_000_000n],
    ["23h59m59.999999999s", 86_399_999_999_999n],
    // float64 rounding of the fraction: a hair under a day is a whole day.
    ["23.99999999999999999h", 86_400_000_000_000n],
    ["1.5h2m3s4ms5us6µs7ns", 5_523_004_011_007n],
    ["6μs", 6_000n], // Greek mu as well as the micro sign
    ["0", 0n],
    ["-0", 0n],
    ["+0", 0n],
    ["-1.5h", -5_400_000_000_000n],
    ["0.0000000000000000000000001h", 0n],
    ["9223372036854775807ns", 9_223_372_036_854_775_807n],
    ["-9223372036854775808ns", -9_223_372_036_854_775_808n],
    ["2562047h47m16.854775807s", 9_223_372_036_854_775_807n],
    ["9223372036854775808ns", undefined],
    ["2562047h47m16.854775808s", undefined],
    ["00", undefined],
    ["1H", undefined],
    ["1d", undefined],
    ["1h 30m", undefined],
    ["1e3s", undefined],
    ["1..5h", undefined],
    [".h", undefined],
    ["+", undefined],
    ["", undefined],
  ])("%j", (text, ns) => expect(parseGoDuration(text)).toBe(ns));
});

describe("parseWindowStart: periodic.go parseStart", () => {
  it.each([
    ["04:00", { hour: 4, minute: 0, ignored: "" }],
    ["Thu 04:00", { weekday: 4, hour: 4, minute: 0, ignored: "" }],
    ["sun 0:0", { weekday: 0, hour: 0, minute: 0, ignored: "" }],
    ["SAT 23:59", { weekday: 6, hour: 23, minute: 59, ignored: "" }],
    ["FR\u0130 04:00", { weekday: 5, hour: 4, minute: 0, ignored: "" }], // Go lower-cases İ to i
    ["\u00a0Mon\u2003 12:34 ", { weekday: 1, hour: 12, minute: 34, ignored: "" }], // Go's Unicode spaces
    ["+4:-0", { hour: 4, minute: 0, ignored: "" }],
    ["0000000000000000000000004:00", { hour: 4, minute: 0, ignored: "" }],
    ["wed 1:2:3", { weekday: 3, hour: 1, minute: 2, ignored: ":3" }],
  ])("%j", (start, expected) => expect(parseWindowStart(start)).toEqual(expected));

  it.each([
    ["", "no time of day"],
    ["Thu 04:00 UTC", "more than a weekday and a time"],
    ["Thursday 04:00", 'unknown weekday "Thursday"'],
    ["\ufeffThu 04:00", 'unknown weekday "\ufeffThu"'], // U+FEFF is no space to Go
    ["Thu", '"Thu" is not HH:MM'],
    ["4:", '"4:" is not HH:MM'],
    [":5", '":5" is not HH:MM'],
    ["24:00", "hour 24 is not 0 to 23"],
    ["99999999999999999999:00", "hour 99999999999999999999 is not 0 to 23"],
    ["23:60", "minute 60 is not 0 to 59"],
  ])("%j is refused: %s", (start, error) => expect(parseWindowStart(start)).toEqual({ error }));

  it("names the start as locksmith read it, and its period", () => {
    const weekly = parseWindowStart("thu 4:5pm") as Exclude<ReturnType<typeof parseWindowStart>, { error: string }>;
    expect(formatWindowStart(weekly)).toBe("Thu 04:05");
    expect(periodNs(weekly)).toBe(168n * 3_600_000_000_000n);
    expect(periodNs({ hour: 4, minute: 0, ignored: "" })).toBe(24n * 3_600_000_000_000n);
  });
});
