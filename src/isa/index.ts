/**
 * The x86-64 CPU model: state as immutable data, instructions and event delivery as pure
 * functions, per vendor (intel | amd) and paging mode (4 | 5). Imports nothing else of ours.
 */
export * from './u64.ts';
export * from './errors.ts';
export * as rf from './rflags.ts';
export { fixRflags, isValidRflags, assertRflags, formatRflags, iopl } from './rflags.ts';
export * from './canonical.ts';
export * from './segments.ts';
export * from './cpu.ts';
export * from './defaults.ts';
export * from './memory.ts';
export * from './result.ts';
export * from './make-cpu.ts';
export * from './syscall.ts';
export * from './sysret.ts';
export * from './sysenter.ts';
export * from './swapgs.ts';
export * from './wrgsbase.ts';
export * from './popf.ts';
export * from './deliver.ts';
export * from './iret.ts';
export * from './interrupts.ts';
export * from './int-forms.ts';
export * from './privileged.ts';
export * from './stack.ts';
export * from './jump.ts';
export * from './breakpoint.ts';
export * from './smap.ts';
export * from './copy.ts';
