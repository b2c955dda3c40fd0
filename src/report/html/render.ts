/**
 * The static HTML of one trace in the viewer: header and summary, the findings (each with a
 * link to where it happened; a differential one with its two branches side by side), and the
 * step table: one row per event with its nesting lanes, changed fields, observations and
 * violations, and its kernel micro-steps in a collapsible block (open where a violation is).
 * The inspector beside the table is filled by the page's script from the states (page.ts).
 */
import { esc } from './escape.ts';
import type { FindingView, Row, TraceView } from './view-model.ts';

/** CSS class of a kernel context, by its kind (for the lane colours). */
export function laneClass(name: string): string {
  if (/^(syscall64|syscall32|sysenter|int80)$/.test(name)) return 'k-sys';
  if (name === '#PF') return 'k-pf';
  if (name === 'NMI') return 'k-nmi';
  if (name.startsWith('IRQ')) return 'k-irq';
  if (name === '#DB' || name === '#BP') return 'k-db';
  return 'k-exc';
}

function lanes(r: Row, depth: number): string {
  const cells: string[] = [];
  for (let d = 0; d < depth; d++) {
    const c = r.lanes[d];
    cells.push(c === undefined ? '<span class="lane"></span>' : `<span class="lane ${laneClass(c)}" title="${esc(`depth ${d + 1}: ${c}`)}">${esc(c)}</span>`);
  }
  return `<span class="task" title="running task">t${r.task}</span><span class="lanes">${cells.join('')}</span>`;
}

function markList(r: Row): string {
  if (r.marks.length === 0) return '';
  return `<ul class="marks">${r.marks.map((m) => `<li class="${m.sanity ? 'sanity' : 'violation'}">${m.sanity ? '~~' : '!!'} ${esc(m.invariant)}${m.recorded ? ' (recorded)' : ''}</li>`).join('')}</ul>`;
}

function rowHtml(t: number, r: Row, depth: number): string {
  const cls = ['row', r.kind, r.marks.some((m) => !m.sanity) ? 'violated' : '', r.marks.some((m) => m.sanity) ? 'reached' : '', r.skipped ? 'skipped' : ''].filter(Boolean).join(' ');
  const changes = r.changes.length
    ? `<ul class="changes">${r.changes.map(([k, a, b]) => (r.kind === 'step'
      ? `<li><span class="k">${esc(k)}</span> <span class="old">${esc(a)}</span> → <span class="chg">${esc(b)}</span></li>`
      : `<li><span class="k">${esc(k)}</span>=<span class="chg">${esc(b)}</span></li>`)).join('')}</ul>`
    : '';
  const obs = r.obs.length ? `<ul class="obs">${r.obs.map((o) => `<li class="o-${esc(o.kind)}">&gt; ${esc(o.text)}</li>`).join('')}</ul>` : '';
  const idx = r.kind === 'step' ? String(r.step) : '·';
  return `<div class="${cls}" id="t${t}-${r.id}" data-row="${r.id}" tabindex="-1">`
    + `<span class="idx">${idx}</span>${lanes(r, depth)}`
    + `<div class="what"><div class="label">${esc(r.label)}${r.skipped ? ' <em>[skipped: not enabled here]</em>' : ''}</div>${changes}${obs}${markList(r)}</div></div>`;
}

function findingHtml(t: number, f: FindingView): string {
  const head = `<h4>${f.sanity ? '~~' : '!!'} ${esc(f.invariant)}${f.recorded ? ' <span class="tag">recorded</span>' : ''}</h4>`;
  const at = `<p class="at">at step ${f.step}${f.where ? `, ${esc(f.where)}` : ''} <a class="goto" href="#t${t}-${f.row}" data-row="${f.row}">show in the trace</a></p>`;
  const full = f.brief !== f.message ? `<details class="full"><summary>full message</summary><pre>${esc(f.message)}</pre></details>` : '';
  let sides = '';
  if (f.fork) {
    const via = f.fork.via.toUpperCase();
    const body = f.fork.rows.map((r) => {
      const detail = r.fields.length
        ? `<tr class="fields"><td>${r.fields.map(([k, a]) => `<div><span class="k">${esc(k)}</span> <span class="chg">${esc(a)}</span></div>`).join('')}</td>`
          + `<td>${r.fields.map(([k, , b]) => `<div><span class="k">${esc(k)}</span> <span class="chg">${esc(b)}</span></div>`).join('')}</td></tr>`
        : '';
      return `<tr class="${r.differ ? 'differ' : 'same'}"><td>${esc(r.fast ?? '(nothing)')}</td><td>${esc(r.iret ?? '(nothing)')}</td></tr>${detail}`;
    }).join('');
    sides = `<table class="sides"><thead><tr><th>after ${esc(via)} (what happened)</th><th>after IRET from the same pt_regs (the alternative)</th></tr></thead><tbody>${body}</tbody></table>`;
  }
  return `<article class="finding ${f.sanity ? 'sanity' : 'violation'}${f.recorded ? ' recorded' : ''}">${head}${at}<p class="brief">${esc(f.brief)}</p>${full}${sides}</article>`;
}

/** The HTML section of one trace. */
export function traceSection(t: number, v: TraceView): string {
  const depth = Math.max(1, ...v.rows.map((r) => r.lanes.length));
  const real = v.findings.filter((f) => !f.sanity);
  const sanity = v.findings.filter((f) => f.sanity);
  const parts: string[] = [];
  parts.push(`<header><h2>${esc(v.title)}</h2><p class="meta">design ${esc(v.design)}, ${esc(v.vendor)}, ${v.paging}-level paging${esc(v.start)}</p>`
    + `<p class="summary ${v.status === 1 ? 'bad' : 'good'}">${esc(v.summary)}</p></header>`);
  parts.push('<div class="findings">');
  if (real.length) parts.push(`<h3>Violations</h3>${real.map((f) => findingHtml(t, f)).join('')}`);
  if (v.errors.length) parts.push(`<h3>Checks that threw</h3><ul class="errors">${v.errors.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>`);
  if (sanity.length) parts.push(`<h3>Reachability claims reached <small>(expected: they show the search gets there)</small></h3>${sanity.map((f) => findingHtml(t, f)).join('')}`);
  if (v.holds.length) parts.push(`<p class="holds">Hold: ${v.holds.map(esc).join(', ')}</p>`);
  parts.push('</div>');
  parts.push('<div class="toolbar"><button type="button" data-action="expand">Expand all micro-steps</button> <button type="button" data-action="collapse">Collapse all micro-steps</button>'
    + ' <span class="hint">Click a row (or use ↑/↓) to see the whole state after it.</span></div>');
  const steps: string[] = [];
  for (const r of v.rows) {
    if (r.kind !== 'step') continue;
    const micro = v.rows.filter((m) => m.kind === 'micro' && m.step === r.step);
    const open = micro.some((m) => m.marks.length > 0) ? ' open' : '';
    const block = micro.length
      ? `<details class="micro"${open}><summary>${micro.length} kernel micro-step${micro.length === 1 ? '' : 's'}</summary>${micro.map((m) => rowHtml(t, m, depth)).join('')}</details>`
      : '';
    steps.push(`<div class="step">${rowHtml(t, r, depth)}${block}</div>`);
  }
  parts.push(`<div class="body"><div class="steps" style="--lanes:${depth}">${steps.join('')}</div>`
    + '<aside class="inspector"><p class="empty">Select a row to see the CPU, the tasks and their pt_regs after it.</p></aside></div>');
  return `<section class="trace" id="t${t}" data-trace="${t}">${parts.join('')}</section>`;
}
