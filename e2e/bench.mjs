// Desktop benchmark: launches the built app on a data directory (made by `dossier init` and
// `dossier dev generate`, with the passphrase in DOSSIER_PASSPHRASE) and measures what a person
// waits for: launch to the lock screen (both as the app sees it, from
// process start to the first paint, and as the driver sees it, from the session request, which
// adds WebKitWebDriver's own start), the dashboard, the customers
// table's first page, a filter, the next keyset pages, a search, and the longest frame the window
// was stuck during each step (the main thread must stay free: queries run off it).
//
//   DOSSIER_PASSPHRASE=… DOSSIER_USER=… DOSSIER_PASSWORD=… \
//   xvfb-run -a node e2e/bench.mjs --data-dir DIR [--app target/release/dossier-desktop] [--runs 3] [--out FILE]
//
// It also reads the app's memory on the lock screen, and after the dashboard and then the tables
// have been idle for two seconds (the desktop budget's "idle memory"): the app process's resident
// size (VmRSS), and the whole app's proportional set size (PSS: the app process and WebKit's web
// and network processes under it, each shared page counted once), in all and by process. Linux.
//
// Prints one JSON object. Not a test, and not part of `make bench` (it needs the release desktop
// app and a display): run it by hand; docs/performance.md keeps its figures.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { Driver } from './webdriver.mjs';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    app: { type: 'string', default: resolve(root, 'target/release/dossier-desktop') },
    runs: { type: 'string', default: '3' },
    pages: { type: 'string', default: '10' },
    search: { type: 'string', default: 'ann' },
    out: { type: 'string' },
  },
});
const passphrase = process.env.DOSSIER_PASSPHRASE;
const user = process.env.DOSSIER_USER;
const password = process.env.DOSSIER_PASSWORD;
if (!values['data-dir'] || !passphrase || !user || !password) {
  console.error(
    'usage: DOSSIER_PASSPHRASE=… DOSSIER_USER=… DOSSIER_PASSWORD=… node e2e/bench.mjs --data-dir DIR [--app PATH] [--runs N] [--pages N] [--search TEXT]',
  );
  process.exit(2);
}

// The processes running `values.app` (by their 15-character command name).
function appPids() {
  const name = values.app.split('/').pop().slice(0, 15);
  return readdirSync('/proc').filter((pid) => {
    if (!/^[0-9]+$/.test(pid)) return false;
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
    } catch {
      return false; // The process ended meanwhile.
    }
  });
}

// The app's resident memory in MB (VmRSS of the process running `values.app`), or null.
function appRssMb() {
  for (const pid of appPids()) {
    try {
      const kb = /VmRSS:\s+([0-9]+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (kb) return Math.round(Number(kb[1]) / 102.4) / 10;
    } catch {
      // The process ended meanwhile.
    }
  }
  return null;
}

// The whole app's memory in MB, in all and by process: the proportional set size (PSS) of the
// app's process and every process under it (WebKit's web and network processes), from
// /proc/PID/smaps_rollup. PSS counts a page shared by several of them (the GTK and WebKit
// libraries) once in all, so the sum is what the app costs the machine. Linux only; null
// elsewhere.
function appPssMb() {
  const children = (pid) => {
    const out = [];
    try {
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        const list = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
        if (list) out.push(...list.split(/\s+/));
      }
    } catch {
      // The process ended meanwhile.
    }
    return out;
  };
  const pss = (pid) => {
    try {
      const kb = /^Pss:\s+([0-9]+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      return kb ? Number(kb[1]) : 0;
    } catch {
      return 0;
    }
  };
  // The largest tree: an instance from the run before may still be on its way out.
  let best = { total: null, by: {} };
  for (const pid of appPids()) {
    const seen = new Set();
    const todo = [pid];
    while (todo.length) {
      const p = todo.pop();
      if (seen.has(p)) continue;
      seen.add(p);
      todo.push(...children(p));
    }
    const by = {};
    for (const p of seen) {
      let comm = String(p);
      try {
        comm = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      } catch {
        // Ended meanwhile: counted as nothing.
      }
      by[comm] = (by[comm] ?? 0) + pss(p);
    }
    const mb = (kb) => Math.round(kb / 102.4) / 10;
    const total = Object.values(by).reduce((sum, kb) => sum + kb, 0);
    if (best.total === null || mb(total) > best.total) {
      best = { total: mb(total), by: Object.fromEntries(Object.entries(by).map(([k, kb]) => [k, mb(kb)])) };
    }
  }
  return best;
}

// Runs `action` in the page, then waits (on a short timer) until `ready` holds; returns the
// elapsed milliseconds and the longest gap between two frames meanwhile. The code is pasted into
// the script (the page's CSP rightly forbids eval).
function measureScript(action, ready) {
  return `
    const done = arguments[arguments.length - 1];
    const isReady = () => { ${ready} };
    const t0 = performance.now();
    let last = t0, worst = 0;
    (() => { ${action} })();
    // A 4 ms timer loop: its longest gap is the longest the page's main thread was blocked
    // (animation frames do not tick in a hidden window, timers do).
    const tick = () => {
      const now = performance.now();
      worst = Math.max(worst, now - last); last = now;
      if (isReady()) done({ ms: now - t0, worst_frame_ms: worst });
      else if (now - t0 > 25000) done({ ms: null, worst_frame_ms: worst, timed_out: true });
      else setTimeout(tick, 4);
    };
    setTimeout(tick, 4);`;
}
const q = (id) => `document.querySelector('[data-testid="${id}"]')`;
// Rows loaded (the grid's row count less its header): the table draws only the rows in view.
const rows = `(Number(${q('customers-table')}?.getAttribute('aria-rowcount') ?? 1) - 1)`;
const tableReady = `return !${q('customers-loading')} && ${rows} > 0;`;

async function measure(d, action, ready) {
  return d.asyncScript(measureScript(action, ready));
}

function setInput(testId, value) {
  return `const el = ${q(testId)};
    const proto = el.tagName === 'SELECT' ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, ${JSON.stringify(value)});
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));`;
}

async function run() {
  const d = await Driver.start({
    application: values.app,
    args: ['--data-dir', values['data-dir']],
    shots: resolve(root, 'target/bench-ui'),
  });
  try {
    const out = {};
    await d.find('lock-passphrase', 30000);
    out.first_screen_ms = Date.now() - d.launchedAt;
    // The app's own view: process start (app_info) to the first paint of the window's page.
    const launched = await d.asyncScript(
      `const done = arguments[arguments.length - 1];
       window.__TAURI_INTERNALS__.invoke('app_info', {}).then((i) => done(i.launched_at_ms), () => done(null));`,
    );
    const painted = await d.script('return window.__dossierFirstScreenAt ?? null;');
    out.app_first_screen_ms = launched && painted ? Math.round(painted - launched) : null;
    out.lock_screen_rss_mb = appRssMb();
    ({ total: out.lock_screen_pss_mb, by: out.lock_screen_pss_by_process } = appPssMb());
    // Unlocking: the passphrase's key derivation (deliberately slow), signing in, opening, the
    // shell.
    const unlockStart = Date.now();
    await d.unlock(passphrase, user, password);
    await d.find('dashboard-funnel', 30000);
    out.unlock_to_dashboard_ms = Date.now() - unlockStart;
    await d.shot('dashboard');
    await new Promise((r) => setTimeout(r, 2000));
    out.idle_dashboard_rss_mb = appRssMb();
    ({ total: out.idle_dashboard_pss_mb, by: out.idle_dashboard_pss_by_process } = appPssMb());

    out.customers_first_page = await measure(d, `location.hash = '#/customers';`, tableReady);
    // The table shows its skeleton while a query runs: ready once it has come and gone.
    const afterLoading = `window.__sawLoading = window.__sawLoading || !!${q('customers-loading')};
      return window.__sawLoading && !${q('customers-loading')};`;
    out.filter_state_verified = await measure(d, `window.__sawLoading = false;` + setInput('filter-state', 'verified'), afterLoading);
    await d.shot('customers-verified');
    const pages = [];
    for (let i = 0; i < Number(values.pages); i++) {
      if (!(await d.script(`return !!${q('customers-load-more')};`))) break;
      pages.push(
        await measure(
          d,
          `window.__rows = ${rows}; ${q('customers-load-more')}.click();`,
          `return ${rows} > window.__rows;`,
        ),
      );
    }
    out.next_pages = pages;
    const searchBox = await d.script(`return !!${q('filter-search')};`);
    if (searchBox) {
      out.search = await measure(d, `window.__sawLoading = false;` + setInput('filter-search', values.search), afterLoading);
      await d.shot('filter-search');
    }
    await new Promise((r) => setTimeout(r, 2000));
    out.idle_after_tables_rss_mb = appRssMb();
    ({ total: out.idle_after_tables_pss_mb, by: out.idle_after_tables_pss_by_process } = appPssMb());
    return out;
  } finally {
    await d.stop();
  }
}

const runs = [];
for (let i = 0; i < Number(values.runs); i++) runs.push(await run());
const pick = (f) => runs.map(f).filter((v) => typeof v === 'number').sort((a, b) => a - b);
const median = (xs) => (xs.length ? xs[Math.floor((xs.length - 1) / 2)] : null);
const max = (xs) => (xs.length ? xs[xs.length - 1] : null);
const allPages = runs.flatMap((r) => r.next_pages.map((p) => p.ms)).sort((a, b) => a - b);
const summary = {
  runs: runs.length,
  app_first_screen_ms_p50: median(pick((r) => r.app_first_screen_ms)),
  app_first_screen_ms_max: max(pick((r) => r.app_first_screen_ms)),
  first_screen_ms_p50: median(pick((r) => r.first_screen_ms)),
  first_screen_ms_max: max(pick((r) => r.first_screen_ms)),
  unlock_to_dashboard_ms_p50: median(pick((r) => r.unlock_to_dashboard_ms)),
  customers_first_page_ms_p50: median(pick((r) => r.customers_first_page.ms)),
  filter_ms_p50: median(pick((r) => r.filter_state_verified.ms)),
  next_page_ms_p50: median(allPages),
  next_page_ms_max: max(allPages),
  search_ms_p50: median(pick((r) => r.search?.ms)),
  lock_screen_rss_mb_max: max(pick((r) => r.lock_screen_rss_mb)),
  idle_dashboard_rss_mb_max: max(pick((r) => r.idle_dashboard_rss_mb)),
  idle_after_tables_rss_mb_max: max(pick((r) => r.idle_after_tables_rss_mb)),
  lock_screen_pss_mb_max: max(pick((r) => r.lock_screen_pss_mb)),
  idle_dashboard_pss_mb_max: max(pick((r) => r.idle_dashboard_pss_mb)),
  idle_after_tables_pss_mb_max: max(pick((r) => r.idle_after_tables_pss_mb)),
  worst_frame_ms: max(
    runs.flatMap((r) => [r.customers_first_page, r.filter_state_verified, ...r.next_pages, r.search].filter(Boolean).map((m) => m.worst_frame_ms)),
  ),
  detail: runs,
};
// The driver shares this process's stdout, so `--out FILE` is the clean way to keep the figures.
if (values.out) writeFileSync(values.out, JSON.stringify(summary, null, 2));
console.log(JSON.stringify(summary, null, 2));
