// deno-lint-ignore-file no-console
/**
 * What every benchmark's command line shares: reading options and printing the table and the
 * JSON report (dated, and also written to the file named by `--json`).
 * @module
 */

/** The positive number after `--name` on the command line, or `fallback`. */
export function numberOption(name: string, fallback: number): number {
  const [value] = listOption(name, [fallback]);
  return value;
}

/** The text after `--name` on the command line, or undefined. */
export function textOption(name: string): string | undefined {
  const index = Deno.args.indexOf(name);
  if (index < 0) return undefined;
  if (index + 1 >= Deno.args.length) throw new Error(`${name} needs a value`);
  return Deno.args[index + 1];
}

/** The comma-separated positive numbers after `--name` on the command line, or `fallback`. */
export function listOption(name: string, fallback: number[]): number[] {
  const text = textOption(name);
  if (text === undefined) return fallback;
  const list = text.split(",").map(Number);
  if (!list.every((n) => Number.isFinite(n) && n > 0)) {
    throw new Error(`${name} needs positive numbers separated by commas, got "${text}"`);
  }
  return list;
}

/**
 * Prints `table`, then `report` with the date as one JSON line; writes it to `--json FILE` when
 * given.
 */
export async function publish(table: string, fields: Record<string, unknown>): Promise<void> {
  const report = { ...fields, date: new Date().toISOString() };
  console.log(table);
  console.log(JSON.stringify(report));
  const file = textOption("--json");
  if (file) await Deno.writeTextFile(file, JSON.stringify(report, null, 2));
}
