/**
 * The bounds on what a user file may ask of entrycheck. Each keeps the work of one file small
 * and the one-line error about it short; a file beyond a bound is bad input (exit status 2),
 * never a run that does not finish.
 */

/**
 * Largest file read, in bytes. The largest real files (co-simulation disagreements with both
 * sides' records) are tens of kilobytes; a megabyte leaves room and bounds parsing and memory.
 */
export const MAX_FILE_BYTES = 1 << 20;

/**
 * Most events in a trace or counterexample. The search shrinks to at most 16, hand-written
 * scenarios have under 10; replaying a counterexample evaluates the differential invariant at
 * every SYSRET over the rest of the trace, so its cost grows with the square of the length
 * (128 getpid calls: about 8 s on one core; 512: over 90 s).
 */
export const MAX_EVENTS = 128;

/**
 * Most 4 KiB pages a trace's `initial.pages` may add or remove, all ranges together: the model
 * keeps an entry per page (the built-in layout has about 150); 16 MiB is far more than a trace
 * needs and builds in milliseconds.
 */
export const MAX_PAGES = 4096;

/** Longest design name or invariant id: they become file and folder names. */
export const MAX_NAME = 64;

/** Longest free-text string field of a file (notes, sources, messages, `$schema`). */
export const MAX_TEXT = 4096;

/** Characters of a user's value echoed in an error line (the rest is counted, not printed). */
export const MAX_SHOWN = 80;

/** Longest error line, whatever it holds: a last guard so that no line is unbounded. */
export const MAX_LINE = 2000;
