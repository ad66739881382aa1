// What a bench section hands back, and how it is printed: aligned text tables for people, the same
// figures (raw numbers) in bench/results.json.

export interface Target {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

export interface Section {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes?: readonly string[];
  /** Raw figures for results.json. */
  readonly data: unknown;
  readonly targets?: readonly Target[];
  /** More tables under the same title (a breakdown). */
  readonly more?: readonly Omit<Section, "data" | "more" | "targets">[];
}

export const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`);
export const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
export const bytes = (b: number) =>
  b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)} MiB` : b >= 100 * 1024 ? `${(b / 1024).toFixed(0)} KiB` : `${b} B`;
export const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)}%`;

const NUMERIC = /^[\d.,%+-]+( ?(ms|s|µs|B|KiB|MiB|%))?$/;

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i > 0 && NUMERIC.test(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function printSection(s: Section, out: (text: string) => void): void {
  out(`\n== ${s.title}\n`);
  out(table(s.header, s.rows));
  for (const m of s.more ?? []) {
    out(`\n-- ${m.title}\n`);
    out(table(m.header, m.rows));
    for (const n of m.notes ?? []) out(`   ${n}`);
  }
  if (s.notes?.length) out("");
  for (const n of s.notes ?? []) out(`   ${n}`);
}
