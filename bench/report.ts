// deno-lint-ignore-file no-console
/**
 * What every benchmark's command line shares: reading numeric options and printing the table
 * and the JSON report (also written to the file named by `--json`).
 * @module
 */

/** The number after `--name` on the command line, or `fallback`. */
export function numberOption(name: string, fallback: number): number {
  const index = Deno.args.indexOf(name);
  if (index < 0) return fallback;
  const value = Number(Deno.args[index + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} needs a positive number, got "${Deno.args[index + 1]}"`);
  }
  return value;
}

/** Prints `table`, then `report` as one JSON line; writes it to `--json FILE` when given. */
export async function publish(table: string, report: Record<string, unknown>): Promise<void> {
  console.log(table);
  console.log(JSON.stringify(report));
  const index = Deno.args.indexOf("--json");
  if (index >= 0) await Deno.writeTextFile(Deno.args[index + 1], JSON.stringify(report, null, 2));
}
