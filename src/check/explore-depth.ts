/**
 * How deep the exhaustive phase of a search goes by default: every trace of up to this many events
 * over the exploration alphabet is judged before the guided random search starts (about 1,200
 * traces per group at depth 2; depth 3 is about 20 times that).
 */
export const DEFAULT_EXPLORE_DEPTH = 2;
