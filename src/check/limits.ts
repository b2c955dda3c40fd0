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
 * scenarios have under 10; replay is linear in the length since the one-replay judge (10,000
 * getpid calls with every invariant: about 2.7 s wall; `--verbose` keeps every micro-step: 15 s
 * and 1 GB), and 10,000 of the shortest events fit in MAX_FILE_BYTES.
 */
export const MAX_EVENTS = 10_000;

/**
 * Most events `view` puts on one page: each step carries its states and micro-steps (about 70 KB
 * a step; 500 getpid calls make a 35 MB page in 5 s), and a browser cannot open much more.
 */
export const MAX_VIEW_EVENTS = 512;

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
