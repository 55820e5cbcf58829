// Sync through the real built app with no configuration: a fresh data directory is pointed at
// the sandbox providers the app hosts in its own process, and "Sync now" delivers everything,
// each record once. The database is read through the CLI; the sandbox's records through its
// address (the app publishes it in app_info and the data directory).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

import { Driver } from './webdriver.mjs';

const root = resolve(import.meta.dirname, '..');
const app = join(root, 'target/debug/dossier-desktop');
const cli = join(root, 'target/debug/dossier');
const dataDir = mkdtempSync(join(tmpdir(), 'dossier-e2e-sync-'));
const PASSPHRASE = 'sync e2e passphrase';
const ADMIN_PASSWORD = 'sync-admin-password';
let d;

function dossier(args, input, user = 'admin') {
  try {
    return JSON.parse(execFileSync(cli, ['--data-dir', dataDir, ...args], {
      encoding: 'utf8',
      input,
      env: { ...process.env, DOSSIER_PASSPHRASE: PASSPHRASE, DOSSIER_USER: user, DOSSIER_PASSWORD: ADMIN_PASSWORD, DOSSIER_NEW_PASSWORD: ADMIN_PASSWORD },
    }));
  } catch (e) {
    return JSON.parse(e.stdout);
  }
}

before(async () => {
  d = await Driver.start({ application: app, args: ['--data-dir', dataDir], shots: join(root, 'target/e2e/sync') });
  await d.unlock(PASSPHRASE, 'admin', ADMIN_PASSWORD);
  await d.find('nav-sync', 20000);
  // Work at the counter is a clerk's: the admin adds one.
  assert.equal(dossier(['user', 'add', 'clerk', '--role', 'branch_staff']).name, 'clerk');
});

after(async () => {
  if (d) await d.stop();
});

test('a fresh install syncs to the built-in sandbox with no credentials', async () => {
  const providers = dossier(['provider', 'list']);
  assert.deepEqual(
    providers.map((p) => [p.name, p.base_url, p.enabled]).sort(),
    [['cybrid', 'sandbox', true], ['mbanq', 'sandbox', true], ['paxos', 'sandbox', true], ['qolo', 'sandbox', true]],
  );
  // Work done at the counter (here through the CLI on the same database) waits in the outbox.
  const created = dossier(['customer', 'create', '--input', '-'], JSON.stringify({
    type: 'individual',
    ref_id: 'SYNC-0001',
    person: { first_name: 'Bea', last_name: 'Lind', date_of_birth: '1979-06-30' },
    addresses: [{ kind: 'residential', primary: true, street_address: '1 Harbour Rd', city: 'Portland', state: 'ME', postal_code: '04101', country: 'US' }],
    contacts: [{ kind: 'email', value: 'bea.lind@example.com' }, { kind: 'mobile', value: '+12075550101' }],
    documents: [{ type: 'passport', number: 'P5550101', issuing_country: 'US', issued_on: '2020-01-01', expires_on: '2030-01-01' }],
  }), 'clerk');
  assert.match(created.id, /^[0-9a-f-]{36}$/);
  const waiting = dossier(['sync', 'list', '--customer', created.id]).items;
  assert.equal(waiting.length, 4, 'one create per provider');
  assert.ok(waiting.every((m) => m.status === 'pending'));

  await d.click('nav-sync');
  await d.until('the providers to show online', async () => (await d.attr('sync-provider-cybrid', 'data-state')) === 'online', 20000);
  await d.shot('sync-before');
  await d.click('sync-run');
  await d.find('sync-result', 60000);
  await d.until('the outbox list to show the deliveries', async () =>
    (await d.script(`return [...document.querySelectorAll('[data-testid^="sync-row-"]')].every((r) => !r.textContent.includes('Pending'));`)), 20000);
  await d.until('the providers to be probed again', async () => (await d.attr('sync-provider-cybrid', 'data-state')) === 'online', 20000);
  await d.shot('sync-after');
  const result = await d.text('sync-result');
  assert.match(result, /4 delivered/, result);

  const done = dossier(['sync', 'list', '--customer', created.id]).items;
  assert.deepEqual(done.map((m) => m.status), ['done', 'done', 'done', 'done']);
  assert.ok(done.every((m) => m.remote_id), 'every provider answered with its id');
  // The sandbox holds the customer once, under the address the app published.
  const url = readFileSync(join(dataDir, 'sandbox', 'url'), 'utf8').trim();
  const records = await (await fetch(`${url}/_sim/records`)).json();
  assert.equal(records.paxos.identities.filter((i) => i.ref_id === 'SYNC-0001').length, 1);
  assert.equal(records.cybrid.customers.length, 1);
  // A second run has nothing to send.
  await d.click('sync-run');
  await d.until('the second run to finish', async () => /0 delivered/.test(await d.text('sync-result')), 60000);
});
