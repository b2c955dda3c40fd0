/**
 * What a worker is doing, shared with the main thread without messages: a counter that moves
 * every time a trace is judged or a shrink step is tried, and the invariant being checked (-1
 * while the model replays). The pool's watchdog reads it: a counter that stops moving is a unit
 * stuck in a loop, and the invariant slot says whose.
 */

/** The shared progress of one worker. */
export class Tracker {
  readonly cells: Int32Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(8)) {
    this.cells = new Int32Array(buffer);
  }

  /** The underlying buffer (to hand to a worker). */
  get buffer(): SharedArrayBuffer {
    return this.cells.buffer as SharedArrayBuffer;
  }

  // The worker is the only writer, and the watchdog reads after seconds without progress: plain
  // stores (no fence at every micro-step's check) are seen in time, and the reads stay atomic.

  /** Work moved on. */
  tick(): void {
    this.cells[0] = ((this.cells[0] as number) + 1) | 0;
  }

  /** The invariant (by index in the unit's list) whose check runs now; -1 for the model. */
  checking(index: number): void {
    this.cells[1] = index;
  }

  /** The progress counter. */
  get progress(): number {
    return Atomics.load(this.cells, 0);
  }

  /** The invariant whose check was running last (-1: the model). */
  get current(): number {
    return Atomics.load(this.cells, 1);
  }
}
