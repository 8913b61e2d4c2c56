/**
 * What flnet's command lines share: `-h`/`--help`, `-v`/`-vv`/`-vvv`, options that take the
 * next argument as their value, and errors that name the bad argument.
 *
 * @example
 * ```ts
 * import { walkArgs } from "./args.ts";
 * let name = "anonymous";
 * const { help, verbosity } = walkArgs(["--name", "ann", "-vv"], (option, value) => {
 *   if (option === "--name") name = value();
 *   else return false; // unknown: walkArgs throws, naming it
 *   return true;
 * });
 * console.log(name, help, verbosity); // ann false 2
 * ```
 * @module
 */

/** The flags every command understands. */
export interface CommonArgs {
  /** `-h` or `--help` was given. */
  help: boolean;
  /** How many `v`s were given (`-v`, `-vv`, or several `-v`). */
  verbosity: number;
}

/**
 * Walks `args`: takes the common flags itself and hands every other argument to `option` with
 * `value()`, which returns the next argument (throwing if there is none). `option` returns
 * false for an argument it does not know, and `walkArgs` throws an Error naming it.
 */
export function walkArgs(
  args: string[],
  option: (name: string, value: () => string) => boolean,
): CommonArgs {
  const common: CommonArgs = { help: false, verbosity: 0 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      if (i + 1 >= args.length) throw new Error(`${arg} needs a value`);
      return args[++i];
    };
    if (arg === "-h" || arg === "--help") common.help = true;
    else if (/^-v+$/.test(arg)) common.verbosity += arg.length - 1;
    else if (!option(arg, value)) throw new Error(`unknown option "${arg}"`);
  }
  return common;
}
