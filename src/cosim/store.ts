/**
 * Disagreement files: cosim/<design>-<class>-<hash>.json, written atomically (temp file +
 * rename). Each holds the trace (as an entrycheck/trace@1 object, values in hex), both sides'
 * records and the differences, so it can be re-run (`entrycheck cosim --replay FILE`) and
 * reviewed. The format tag is "entrycheck/cosim@1".
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Paging, Vendor } from '../isa/index.ts';
import type { Event } from '../model/index.ts';
import { resolveEvent, traceSchema, TRACE_FORMAT, type RawEvent } from '../check/trace-file.ts';
import { parseJsonFile, readText, validate } from '../check/validate.ts';
import type { Comparison } from './compare.ts';
import { REG_NAMES, type EventRecord, type SideRun } from './types.ts';

/** Format tag of disagreement files. */
export const COSIM_FORMAT = 'entrycheck/cosim@1';

const hex = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}`;

/** An event in trace-file form (bigints as hex strings). */
export function rawEvent(e: Event): RawEvent {
  return JSON.parse(JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? hex(v) : v))) as RawEvent;
}

/** A record as plain JSON: registers by name, every bigint as a hex string. */
function recordJson(r: EventRecord): unknown {
  const named = { ...r, ...(r.regs ? { regs: Object.fromEntries(REG_NAMES.map((n, i) => [n, r.regs?.[i] ?? 0n])) } : {}) };
  return JSON.parse(JSON.stringify(named, (_k, v: unknown) => (typeof v === 'bigint' ? hex(v) : v)));
}

/** What a disagreement file records. */
export interface Disagreement {
  readonly design: string;
  readonly vendor: Vendor;
  readonly paging: Paging;
  readonly seed: number;
  readonly index: number;
  readonly events: readonly Event[];
  readonly model: SideRun;
  readonly real: SideRun;
  readonly comparison: Comparison;
}

/** Writes one disagreement file under `dir`; returns its path. */
export function saveDisagreement(dir: string, d: Disagreement): string {
  const trace = { format: TRACE_FORMAT, design: d.design, vendor: d.vendor, paging: d.paging, events: d.events.map(rawEvent) };
  const body = {
    format: COSIM_FORMAT, class: d.comparison.cls, seed: d.seed, index: d.index, trace,
    differences: d.comparison.differences,
    model: { status: d.model.status, records: d.model.records.map(recordJson) },
    real: { status: d.real.status, detail: d.real.detail, pid: d.real.pid, records: d.real.records.map(recordJson) },
  };
  const text = `${JSON.stringify(body, null, 2)}\n`;
  const slug = (d.comparison.cls ?? 'unknown').replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-|-$/g, '');
  const hash = createHash('sha256').update(JSON.stringify(trace)).digest('hex').slice(0, 10);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${d.design.replace(/[^a-zA-Z0-9.]+/g, '-')}-${slug}-${hash}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  return file;
}

const fileSchema = z.object({ format: z.literal(COSIM_FORMAT), trace: traceSchema }).loose();

/** Reads the trace back from a disagreement file (or a plain trace file): one-line errors. */
export function loadTrace(file: string): { design: string; events: Event[] } {
  const value = parseJsonFile(readText(file), file);
  const isCosim = (value as { format?: unknown } | null)?.format === COSIM_FORMAT;
  const trace = isCosim ? validate(fileSchema, value, file).trace : validate(traceSchema, value, file);
  // Co-simulation events hold no symbols; RIP-relative ones resolve against the initial RIP.
  return { design: trace.design, events: trace.events.map((e, i) => resolveEvent(e, trace.paging, i, file, 0x400100n)) };
}
