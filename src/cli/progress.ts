/**
 * Progress of a run on stderr, from the start: on a terminal a bar with the units done, the
 * cell being worked on (the oldest unit not finished: design, vendor and paging mode) and an
 * estimate of the time left; otherwise a plain line at every tenth. Never on stdout, so the
 * matrix and --json output stay byte for byte the same.
 */
import cliProgress from 'cli-progress';
import type { Unit } from '../check/plan.ts';

/** What the runner calls as units finish. */
export interface Progress {
  readonly update: (done: number, u: Unit) => void;
  readonly stop: () => void;
}

const name = (u: Unit): string => `${u.group.design} ${u.group.vendor}-${u.group.paging}`;

/** Seconds as "42 s" or "3 min 5 s". */
export function duration(s: number): string {
  const r = Math.max(0, Math.round(s));
  return r < 60 ? `${r} s` : `${Math.floor(r / 60)} min ${r % 60} s`;
}

/** Starts showing progress over `units` (nothing when `quiet`). */
export function startProgress(units: readonly Unit[], quiet: boolean): Progress {
  const total = units.length;
  const finished = new Set<number>();
  const t0 = Date.now();
  // The oldest unit not finished yet: what the workers are (still) on.
  const current = (): string => {
    const u = units.find((x) => !finished.has(x.index));
    return u ? name(u) : 'done';
  };
  const eta = (done: number): string => (done === 0 ? 'estimating' : duration(((Date.now() - t0) / 1000 / done) * (total - done)));
  if (quiet || total === 0) return { update: () => {}, stop: () => {} };
  if (process.stderr.isTTY === true) {
    const bar = new cliProgress.SingleBar({
      format: 'checking [{bar}] {value}/{total} units | {cell} | {left} left', hideCursor: true, etaBuffer: 20,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { cell: current(), left: 'estimating' });
    return {
      update: (done, u) => { finished.add(u.index); bar.update(done, { cell: current(), left: eta(done) }); },
      stop: () => bar.stop(),
    };
  }
  let lastTenth = -1;
  const line = (done: number): void => {
    const tenth = Math.floor((done * 10) / total);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    process.stderr.write(`[run] ${done}/${total} units${done < total ? `, on ${current()}, ${eta(done)} left` : ''}\n`);
  };
  line(0);
  return { update: (done, u) => { finished.add(u.index); line(done); }, stop: () => {} };
}
