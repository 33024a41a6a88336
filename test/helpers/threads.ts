import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';

/** Threads of this process (Linux: `/proc/self/task`), or null where that cannot be read. */
export function threadCount(): number | null {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return null;
  }
}

/**
 * Waits (up to 5 s) until this process has no more threads than `before` (from {@link threadCount}),
 * and fails naming both counts if it still has more: a stopped worker thread must not linger. Passes
 * where threads cannot be counted.
 */
export async function threadsSettleTo(before: number | null): Promise<void> {
  if (before === null) return;
  for (let i = 0; i < 100 && (threadCount() ?? 0) > before; i++) await new Promise((r) => setTimeout(r, 50));
  const after = threadCount() ?? 0;
  assert.ok(after <= before, `${after} threads after, ${before} before`);
}
