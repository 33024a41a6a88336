/**
 * A record id (clip, job) as clients send it: the decimal form of a positive integer, at most 15
 * digits (exact in a double). Anything else is null: no record can have that id.
 */
export function parseRecordId(text: string): number | null {
  return /^[1-9][0-9]{0,14}$/.test(text) ? Number(text) : null;
}
