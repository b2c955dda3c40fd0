/**
 * Driving the native harness process: traces go in as lines, results come back as JSON lines,
 * in order. The harness bounds each trace itself; on top of that, if it stops answering (or
 * dies), the trace it was on is reported as a hang (or crash) and a fresh harness carries on
 * with the rest, so the caller never hangs.
 */
import { spawn } from 'node:child_process';
import { CTX_NAMES, EXTRA_NAMES, type EventRecord, type SideRun, type SideState } from './types.ts';

/** One trace for the harness. */
export interface HarnessItem {
  readonly id: number;
  readonly line: string;
}

/** Harness options. */
export interface HarnessOptions {
  /** Time limit per trace inside the harness, seconds. */
  readonly timeoutS: number;
  /** How much longer to wait for an answer before declaring the harness stuck (default 5 s). */
  readonly graceS?: number;
}

type RawSig = [number, number, string, string, number, string, string, string, string[]?];
interface RawEvent {
  x: number; st: 'b' | 's' | 'd'; stop?: string; sig?: RawSig[]; trap?: string[]; regs?: string[]; x2?: string[]; rf?: number; held?: number; note?: string;
}
interface RawResult { id: number; status: 'ok' | 'hang' | 'error' | 'refused'; detail: string; pid: number; exit: number; events: RawEvent[] }

const STATE: Record<RawEvent['st'], SideState> = { b: 'boundary', s: 'stopped', d: 'dead' };

function toRecord(e: RawEvent): EventRecord {
  return {
    skipped: e.x === 1,
    state: STATE[e.st],
    ...(e.stop ? { stop: e.stop } : {}),
    signals: (e.sig ?? []).map(([signo, code, addr, rip, fatal, rsp, rsi, rdx, ctx]) => ({
      signo, code, addr: BigInt(addr), rip: BigInt(rip), fatal: fatal === 1,
      ...(fatal === 1 ? {} : { frame: { rsp: BigInt(rsp), rsi: BigInt(rsi), rdx: BigInt(rdx) } }),
      ...(fatal !== 1 && ctx && ctx.length === CTX_NAMES.length ? { ctx: Object.fromEntries(CTX_NAMES.map((n, i) => [n, BigInt(ctx[i] ?? 0)])) } : {}),
    })),
    traps: (e.trap ?? []).map((t) => BigInt(t)),
    ...(e.regs ? { regs: e.regs.map((v) => BigInt(v)) } : {}),
    // orig_rax means something only in a ptrace stop (at a boundary it is the driver int3's -1).
    ...(e.x2 ? { extra: Object.fromEntries(EXTRA_NAMES.map((n, i) => [n, BigInt(e.x2?.[i] ?? 0)]).filter(([n]) => n !== 'orig_rax' || e.st === 's')) } : {}),
    ...(e.rf === 1 ? { rfProbe: true } : {}),
    ...(e.held === 1 ? { held: true } : {}),
    ...(e.note ? { note: e.note } : {}),
  };
}

/** Parses one output line of the harness. */
export function parseResult(line: string): { id: number; run: SideRun } {
  const r = JSON.parse(line) as RawResult;
  return { id: r.id, run: { status: r.status, detail: r.detail, pid: r.pid, records: r.events.map(toRecord) } };
}

const failed = (status: 'hang' | 'crash', detail: string): SideRun => ({ status, detail, records: [] });

/**
 * Traces for the harness as they are generated: `items` grows, `closed` says no more will come,
 * and `notify` (set by the running session) writes new items to the harness at once.
 */
export interface HarnessFeed {
  readonly items: HarnessItem[];
  closed: boolean;
  notify?: () => void;
}

/** Runs the feed's items from index `start` on one harness process; resolves to the next unanswered index. */
function session(path: string, feed: HarnessFeed, start: number, o: HarnessOptions,
  onResult: (id: number, run: SideRun) => void): Promise<number> {
  const items = feed.items;
  return new Promise((resolvePromise) => {
    const child = spawn(path, ['--timeout', String(o.timeoutS)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let i = start;
    let written = start;
    let buf = '';
    let stderr = '';
    let gaveUp = false;
    let timer: NodeJS.Timeout | undefined;
    const limit = o.timeoutS + (o.graceS ?? 5);
    const arm = (): void => {
      clearTimeout(timer);
      // Only an answer the harness owes can be late (not a trace still being generated).
      if (i >= written) return;
      timer = setTimeout(() => {
        gaveUp = true;
        const it = items[i];
        if (it !== undefined) onResult(it.id, failed('hang', `the harness gave no answer within ${limit} s`));
        i++;
        child.kill('SIGKILL');
        // Do not wait for the pipes to close: something the harness started may hold them.
        child.stdout.destroy();
        child.stderr.destroy();
      }, limit * 1000);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const it = items[i];
        if (it === undefined || gaveUp) continue;
        let parsed: { id: number; run: SideRun };
        try {
          parsed = parseResult(line);
        } catch {
          parsed = { id: it.id, run: failed('crash', `unreadable harness output: ${line.slice(0, 80)}`) };
        }
        onResult(it.id, parsed.id === it.id ? parsed.run : failed('crash', `harness answered trace ${parsed.id} for ${it.id}`));
        i++;
        arm();
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => { stderr = (stderr + s).slice(-400); });
    child.stdin.on('error', () => { /* EPIPE when the harness died; 'exit' reports it */ });
    child.on('error', () => { /* spawn failure: 'exit'/'close' follows */ });
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const it = items[i];
      if (!gaveUp && it !== undefined) {
        const why = signal ? `killed by ${signal}` : `exit status ${code}`;
        onResult(it.id, failed('crash', `the harness died (${why})${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`));
        i++;
      }
      resolvePromise(i);
    };
    child.on('close', finish);
    child.on('exit', (code, signal) => { if (gaveUp) finish(code, signal); });
    let ended = false;
    const pump = (): void => {
      if (finished || gaveUp || ended) return;
      const lines = items.slice(written).map((x) => x.line).join('');
      if (lines.length > 0) {
        const idle = i >= written;
        written = items.length;
        child.stdin.write(lines);
        if (idle) arm();
      }
      if (feed.closed) { ended = true; child.stdin.end(); }
    };
    feed.notify = pump;
    pump();
  });
}

/** Runs every item (a fixed list, or a feed still growing) on the harness at `path`, restarting it after a crash or hang. */
export async function runOnHarness(path: string, items: readonly HarnessItem[] | HarnessFeed, o: HarnessOptions,
  onResult: (id: number, run: SideRun) => void): Promise<void> {
  const feed: HarnessFeed = Array.isArray(items) ? { items: [...items], closed: true } : items as HarnessFeed;
  let next = 0;
  while (next < feed.items.length || !feed.closed) {
    next = await session(path, feed, next, o, onResult);
  }
}
