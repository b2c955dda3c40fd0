/**
 * The viewer page: one self-contained HTML document (no server, nothing fetched: the styles,
 * the script and the data are inline) for one or more reviewed traces. The stylesheet and the
 * script are kept as viewer.css and viewer.js beside this file and read when a page is made.
 */
import { readFileSync } from 'node:fs';
import { TOOL_VERSION } from '../../check/counterexample.ts';
import { esc, scriptJson } from './escape.ts';
import { traceSection } from './render.ts';
import type { TraceView } from './view-model.ts';

const asset = (name: string): string => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');

/**
 * A trace's states with each distinct task written once: most micro-steps leave most tasks as
 * they were, so rows refer to a pool of task views by index (a page stays a few hundred KB).
 */
function pooled(v: TraceView): { title: string; pool: unknown[]; states: Record<string, { cpu: unknown; tasks: number[] }> } {
  const pool: unknown[] = [];
  const index = new Map<string, number>();
  const states: Record<string, { cpu: unknown; tasks: number[] }> = {};
  for (const [id, st] of Object.entries(v.states)) {
    states[id] = {
      cpu: st.cpu,
      tasks: st.tasks.map((t) => {
        const key = JSON.stringify(t);
        let n = index.get(key);
        if (n === undefined) { n = pool.length; pool.push(t); index.set(key, n); }
        return n;
      }),
    };
  }
  return { title: v.title, pool, states };
}

/** The whole page. */
export function viewerPage(views: readonly TraceView[]): string {
  const title = views.length === 1 ? `${views[0]?.title ?? ''}: entrycheck` : `${views.length} traces: entrycheck`;
  const nav = views.length > 1 ? `<nav>${views.map((v, i) => `<a href="#t${i}">${esc(v.title)}</a>`).join('')}</nav>` : '';
  // Only the inspector needs the states; the rest of the page is static HTML.
  const data = { traces: views.map(pooled) };
  // The script must not contain "</script": it does not (checked when the page is tested).
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${esc(TOOL_VERSION)}">
<title>${esc(title)}</title>
<style>
${asset('viewer.css')}</style>
</head>
<body>
<header><h1>entrycheck trace viewer</h1>${nav}</header>
<main>
${views.map((v, i) => traceSection(i, v)).join('\n')}
</main>
<script type="application/json" id="ec-data">${scriptJson(data)}</script>
<script>
${asset('viewer.js')}</script>
</body>
</html>
`;
}
