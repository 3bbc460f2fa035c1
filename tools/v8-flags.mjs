// V8 flags an entry's process sets at run time, before it compiles any bundle (tools/run.mjs).
// They are part of the flag hash V8 keeps in a code cache and checks when one is given: a cache
// made under other flags is refused, and tools/code-cache.mjs then makes it again at exit, so
// every process that uses an entry's caches must set the same flags first.
import { setFlagsFromString } from 'node:v8';

/**
 * V8's interrupt budget (bytecode run between two looks at a function's heat) 16 times its default
 * of 67,584, as the render threads have it (pipeline/site-workers.ts sets the same value, so the
 * flag hash stays the same when they start). A synth of the committed sites runs most of its code
 * a few times, once per site or object, and with the default budget V8 kept compiling functions
 * with TurboFan that then ran a few times more: a rendering synth, CPU time of the process, 10
 * paired runs each at a load of 6 to 9, -50 ms rendered, -95 ms after an edit (README, Performance).
 */
const INTERRUPT_BUDGET = 16 * 67_584;

/** The flags of each entry that has any (its caches are made and read with them). */
export const ENTRY_V8_FLAGS = { main: [`--interrupt-budget=${INTERRUPT_BUDGET}`] };

/** Sets `entry`'s flags in this process; to be called before its first bundle is compiled. */
export function setEntryV8Flags(entry) {
  for (const flag of ENTRY_V8_FLAGS[entry] ?? []) setFlagsFromString(flag);
}
