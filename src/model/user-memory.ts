/**
 * User memory as the page walk sees it: unmapped, mapped (code, data, read-only) or demand
 * paged (present once the #PF handler has filled it). Content is abstract: loads read back
 * the bytes user code stored, 0 elsewhere. Error code bits: reference/x86-semantics.md 5.2
 * (trap_pf.h: P 1, W 2, U 4, I/D 16).
 */
import { isCanonical, type Fault, type Paging } from '../isa/index.ts';
import type { KernelState, PageKind } from './state.ts';

/** Page-fault error code bits. */
export const PF_ERR = { P: 1, W: 2, U: 4, I: 16 } as const;

/** Page number key of an address. */
export const pageKey = (addr: bigint): string => (addr >> 12n).toString(16);

/** The mapping of the page holding `addr`, if any. */
export function pageOf(k: KernelState, addr: bigint): PageKind | undefined {
  return k.pages[pageKey(addr)];
}

/**
 * The fault a user-half access raises, or null. `user` is the CPL of the access (kernel
 * copy_from_user is a supervisor access). Non-canonical addresses raise #GP(0), not #PF.
 */
export function accessFault(k: KernelState, paging: Paging, addr: bigint,
  kind: 'read' | 'write' | 'fetch', user: boolean): Fault | null {
  if (!isCanonical(addr, paging)) return { vector: 13, error: 0 };
  const u = user ? PF_ERR.U : 0;
  const w = kind === 'write' ? PF_ERR.W : 0;
  const i = kind === 'fetch' ? PF_ERR.I : 0;
  if (addr >> 63n) return { vector: 14, error: PF_ERR.P | u | w | i, cr2: addr };
  const page = pageOf(k, addr);
  if (page === undefined || page === 'demand') return { vector: 14, error: u | w | i, cr2: addr };
  if (kind === 'write' && (page === 'code' || page === 'readonly')) return { vector: 14, error: PF_ERR.P | u | w, cr2: addr };
  if (kind === 'fetch' && page !== 'code') return { vector: 14, error: PF_ERR.P | u | i, cr2: addr };
  return null;
}
