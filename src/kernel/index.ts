/**
 * The kernel: entry and exit paths as micro-step programs, designs as data, presets.
 */
export * from './design.ts';
export * from './presets.ts';
export * from './build.ts';
export * from './initial.ts';
export * from './layout.ts';
export { Text } from './program.ts';
