// entrycheck trace viewer: selecting rows (click, arrow keys), the inspector (CPU, tasks and
// their pt_regs after the selected row), expanding and collapsing micro-steps, and jumping from
// a finding to its row. Plain DOM, no framework; the states come from the JSON in #ec-data.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('ec-data').textContent);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function table(rows) {
    var t = el('table');
    rows.forEach(function (r) {
      var tr = el('tr', r.cls || '');
      tr.appendChild(el('td', '', r.k));
      tr.appendChild(el('td', '', r.v));
      t.appendChild(tr);
    });
    return t;
  }

  function inspect(section, rowId) {
    var trace = data.traces[Number(section.dataset.trace)];
    var state = trace.states[rowId];
    var box = section.querySelector('.inspector');
    box.textContent = '';
    if (!state) { box.appendChild(el('p', 'empty', 'No state recorded for this row.')); return; }
    var row = section.querySelector('.row[data-row="' + rowId + '"]');
    box.appendChild(el('h3', '', 'After ' + (row ? row.querySelector('.label').textContent : rowId)));
    box.appendChild(el('h3', '', 'CPU'));
    box.appendChild(table(state.cpu.map(function (c) { return { k: c[0], v: c[1], cls: c[2] ? 'changed' : '' }; })));
    state.tasks.forEach(function (n) {
      var t = trace.pool[n];
      var card = el('div', 'taskcard' + (t.running ? ' running' : ''));
      card.appendChild(el('h3', '', 'Task ' + t.id + (t.running ? ' (running)' : '') + (t.compat ? ', 32-bit' : '')));
      card.appendChild(table([
        { k: 'mode', v: t.mode },
        { k: 'flags', v: (t.flags.length ? t.flags.join('|') : '-') + (t.tsCompat ? ' TS_COMPAT' : '') },
        { k: 'contexts', v: t.contexts.length ? t.contexts.join(' > ') : '-' },
      ]));
      var pt = el('details', 'pt');
      pt.open = t.running;
      pt.appendChild(el('summary', '', 'pt_regs (' + t.pt.filter(function (p) { return p[2]; }).length + '/' + t.pt.length + ' written)'));
      pt.appendChild(table(t.pt.map(function (p) {
        return { k: p[0], v: p[2] ? p[1] : p[1] + ' (not written)', cls: (p[3] ? 'changed ' : '') + (p[2] ? '' : 'unwritten') };
      })));
      card.appendChild(pt);
      box.appendChild(card);
    });
  }

  function select(row, scroll) {
    var section = row.closest('section.trace');
    section.querySelectorAll('.row.selected').forEach(function (r) { r.classList.remove('selected'); });
    row.classList.add('selected');
    var details = row.closest('details.micro');
    if (details && !details.open) details.open = true;
    if (scroll) row.scrollIntoView({ block: 'center' });
    row.focus({ preventScroll: true });
    inspect(section, row.dataset.row);
  }

  function visibleRows(section) {
    return Array.prototype.filter.call(section.querySelectorAll('.row'), function (r) {
      var d = r.closest('details.micro');
      return !d || d.open;
    });
  }

  document.addEventListener('click', function (ev) {
    var target = ev.target;
    var goto = target.closest('a.goto');
    if (goto) {
      ev.preventDefault();
      var sec = goto.closest('section.trace');
      var r = sec.querySelector('.row[data-row="' + goto.dataset.row + '"]');
      if (r) select(r, true);
      return;
    }
    var button = target.closest('button[data-action]');
    if (button) {
      var open = button.dataset.action === 'expand';
      button.closest('section.trace').querySelectorAll('details.micro').forEach(function (d) { d.open = open; });
      return;
    }
    var row = target.closest('.row');
    if (row) select(row, false);
  });

  document.addEventListener('keydown', function (ev) {
    if (ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp') return;
    var current = document.querySelector('.row.selected');
    if (!current) return;
    var rows = visibleRows(current.closest('section.trace'));
    var i = rows.indexOf(current) + (ev.key === 'ArrowDown' ? 1 : -1);
    if (i >= 0 && i < rows.length) { ev.preventDefault(); select(rows[i], true); }
  });

  // Start on the recorded violation of each trace (else its first violation, else its first row),
  // so the page opens on what matters.
  document.querySelectorAll('section.trace').forEach(function (section) {
    var recorded = section.querySelector('.finding.recorded a.goto');
    var first = (recorded && section.querySelector('.row[data-row="' + recorded.dataset.row + '"]'))
      || section.querySelector('.row.violated') || section.querySelector('.row');
    if (first) {
      section.querySelectorAll('.row.selected').forEach(function (r) { r.classList.remove('selected'); });
      first.classList.add('selected');
      inspect(section, first.dataset.row);
    }
  });
})();
