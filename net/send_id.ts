/**
 * Ids of sent messages. The Network broker reports each message it was given as `sent` or as
 * an `error` carrying the message's id, and several callers share one network (the friendly
 * `Network`, the modules of a `Node`, a user's own module): ids come from this one counter, so
 * a caller never takes another's report for its own.
 *
 * @example
 * ```ts
 * import { newSendId } from "./send_id.ts";
 * const a = newSendId();
 * const b = newSendId();
 * console.log(a !== b); // true, whoever asked
 * ```
 * @module
 */

let last = 0;

/** A message id no other caller in this JavaScript realm has been or will be given. */
export function newSendId(): number {
  return ++last;
}
