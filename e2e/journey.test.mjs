// End-to-end journeys against the real built desktop app (tauri-driver + WebKitWebDriver under
// Xvfb), asserting on the page and on the database (read through the dossier CLI). Screenshots
// of every step go to target/e2e/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

import { Driver } from './webdriver.mjs';

const root = resolve(import.meta.dirname, '..');
const app = join(root, 'target/debug/dossier-desktop');
const cli = join(root, 'target/debug/dossier');
const dataDir = mkdtempSync(join(tmpdir(), 'dossier-e2e-'));
const PASSPHRASE = 'counter one e2e passphrase';
// The first admin (set up in the window), an officer who does the onboarding and a supervisor
// who approves what needs four eyes; the admin adds the other two in Settings.
const USERS = { admin: 'admin-e2e-password', olivia: 'olivia-e2e-password', sam: 'sam-e2e-password' };
// Scans to attach by typed path: the app copies them into the data directory (attach_file reads
// the file and takes it by its content), so they must exist and be real PNG / PDF files.
const scans = mkdtempSync(join(tmpdir(), 'dossier-e2e-scans-'));
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAwAAAAQCAIAAACtAwlQAAAALElEQVR42mM4f/4aQcQAxL9+/caDSFQ0a+lXOKKDIuo5fPv2Q1jRSDGJIAIALqL5sBy4D0IAAAAASUVORK5CYII=',
  'base64',
);
/** A real one-page PDF (pdf.js draws it in the window): the title as a heading over ruled lines. */
const pdf = (title) => {
  const content = [
    '0.93 0.94 0.97 rg 0 700 612 92 re f',
    `BT /F1 22 Tf 0.1 0.1 0.12 rg 48 738 Td (${title}) Tj ET`,
    '0.8 0.8 0.85 RG 1 w 48 650 m 564 650 l S 48 620 m 474 620 l S 48 590 m 384 590 l S',
  ].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets = objects.map((o, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((n) => `${String(n).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
};
let d;

/** Reads the database the app writes, through the CLI (WAL lets both open it). */
function dossier(...args) {
  try {
    return JSON.parse(execFileSync(cli, ['--data-dir', dataDir, ...args], {
      encoding: 'utf8',
      env: { ...process.env, DOSSIER_PASSPHRASE: PASSPHRASE, DOSSIER_USER: 'olivia', DOSSIER_PASSWORD: USERS.olivia },
    }));
  } catch (e) {
    return JSON.parse(e.stdout);
  }
}

before(async () => {
  rmSync(join(root, 'target/e2e'), { recursive: true, force: true });
  d = await Driver.start({ application: app, args: ['--data-dir', dataDir], shots: join(root, 'target/e2e') });
});

after(async () => {
  if (d) await d.stop();
  rmSync(scans, { recursive: true, force: true });
});

test('a fresh install asks for a passphrase, encrypts the data with it, and opens', async () => {
  const started = Date.now();
  await d.find('lock-passphrase', 10000);
  // The session starts the app; measure from the session to the first interactive screen.
  assert.ok(Date.now() - started < 5000, 'the first screen answers promptly once the window exists');
  assert.equal(await d.script(`return document.querySelector('[data-testid="lock-data-dir"]').textContent;`), dataDir);
  await d.shot('set-up');
  await d.fill('lock-passphrase', 'too short');
  assert.equal(await d.enabled('lock-submit'), false, 'a passphrase under 10 characters is refused');
  await d.unlock(PASSPHRASE, 'admin', USERS.admin);
  await d.find('nav-onboard', 20000);
  await d.shot('first-screen');
  const key = JSON.parse(readFileSync(join(dataDir, 'key.json'), 'utf8'));
  assert.equal(key.kdf.algorithm, 'argon2id');
  assert.equal(dossier('key', 'status').state, 'encrypted');

  // The admin adds the people who do the work, then hands over.
  await d.click('nav-settings');
  for (const [name, role] of [['olivia', 'officer'], ['sam', 'supervisor']]) {
    await d.fill('user-add-name', name);
    await d.click(`user-add-role-${role}`);
    await d.fill('user-add-password', USERS[name]);
    await d.click('user-add');
    await d.find(`user-row-${name}`);
  }
  await d.shot('users');
  assert.deepEqual(
    dossier('user', 'list').status,
    403,
    'only admins list users: an officer is refused',
  );
  await d.click('lock-now');
  await d.unlock(PASSPHRASE, 'olivia', USERS.olivia);
  await d.until('the officer to be signed in', async () => (await d.text('signed-in-as')) === 'olivia', 20000);
});

test('an individual: refused, fixed, verified, activated, EDD passed, found in the EDD-passed view', async () => {
  await d.click('nav-onboard');
  await d.fill('onboard-ref-id', 'E2E-0001');
  await d.fill('person-first-name', 'Ana');
  await d.fill('person-last-name', 'Silva');
  await d.fill('person-dob', '1988-04-12');
  await d.fill('address-0-street', '742 Evergreen Terrace');
  await d.fill('address-0-city', 'Springfield');
  await d.fill('address-0-country', 'US');
  await d.fill('contact-0-value', 'ana.silva@example.com');
  await d.click('contact-0-verified');
  await d.fill('contact-1-value', '+1 217 555 0142');
  await d.fill('document-0-number', 'X12345678');
  await d.fill('document-0-country', 'US');
  await d.fill('document-0-expires', '2031-02-28');
  writeFileSync(join(scans, 'passport-front.png'), PNG);
  await d.fill('document-0-file-path', join(scans, 'passport-front.png'));
  await d.click('document-0-file-add');
  // Attached (copied into the data directory) before the form is saved with its reference.
  await d.find('document-0-file-0');
  await d.until('the scan to show as an image', async () => (await d.attr('document-0-file-0-thumb', 'data-state')) === 'image');
  assert.equal(await d.attr('document-0-file-0-thumb', 'aria-label'), 'Open passport-front.png');

  // The live checklist says what is missing, and Verify is refused until it is fixed.
  await d.until('the checklist to show the unverified mobile', async () =>
    (await d.attr('gate-partial-rule-mobile_unverified', 'data-state')) === 'fail');
  assert.equal(await d.attr('gate-partial-rule-primary_address_missing', 'data-state'), 'pass');
  assert.equal(await d.enabled('verify-partial'), false, 'Verify is refused while a rule fails');
  assert.equal(await d.text('gate-partial-status'), '1 missing');
  await d.shot('checklist-missing-mobile');

  await d.click('onboard-save');
  const id = await d.attr('onboard-saved', 'data-customer-id');
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.match(dossier('customer', 'show', id).documents[0].files[0].reference, /^file:[0-9a-f]{64}$/, 'the scan is stored by content');
  const refused = dossier('customer', 'verify', id, '--level', 'partial');
  assert.equal(refused.status, 403, 'the backend refuses too');
  assert.deepEqual(refused.reasons.map((r) => r.code), ['mobile_unverified']);
  await d.shot('saved-pending');

  await d.click('saved-contact-1-verify');
  await d.fill('verify-contact-method', 'in_person');
  await d.click('verify-contact-confirm');
  await d.until('the mobile rule to pass', async () =>
    (await d.attr('gate-partial-rule-mobile_unverified', 'data-state')) === 'pass');
  await d.until('Verify — full to be enabled', () => d.enabled('verify-full'));
  await d.click('verify-full');
  await d.until('the customer to be verified', async () => (await d.text('onboard-state')) === 'Verified');
  await d.shot('verified');
  await d.click('activate');
  await d.until('the customer to be active', async () => (await d.text('onboard-state')) === 'Active');
  await d.shot('active');
  assert.equal(dossier('customer', 'show', id).state, 'active', 'the database agrees');

  await d.go(`#/customers/${id}`);
  await d.find('customer-page');
  await d.click('action-open-edd');
  await d.find('case-work');
  for (const item of ['proof_of_address', 'source_of_funds', 'source_of_wealth', 'purpose_of_account']) {
    writeFileSync(join(scans, `${item}.pdf`), pdf(item));
    // The case re-renders as its data arrives; a click on a button it just replaced opens
    // nothing, so click again until the dialog is there.
    await d.until(`the evidence dialog for ${item}`, async () => {
      if (await d.script(`return !!document.querySelector('[data-testid="evidence-reference"]');`)) return true;
      await d.click(`evidence-attach-${item}`);
      await new Promise((r) => setTimeout(r, 300));
      return d.script(`return !!document.querySelector('[data-testid="evidence-reference"]');`);
    }, 20000);
    await d.fill('evidence-reference', join(scans, `${item}.pdf`));
    await d.click('evidence-save');
    await d.until(`evidence for ${item}`, async () => (await d.attr(`checklist-item-${item}`, 'data-satisfied')) === 'true');
  }
  // Each PDF's first page is drawn by pdf.js inside the window (PDFs are never embedded: the CSP
  // forbids objects and frames), and the viewer shows its pages with "Page N of M".
  const scanStates = () =>
    d.script(`return Array.from(document.querySelectorAll('[data-testid^="evidence-"][data-testid$="-scan"]'), (e) => e.getAttribute('data-state')).join(',');`);
  await d.until('the evidence PDFs to be drawn', async () => (await scanStates()) === 'pdf,pdf,pdf,pdf', 20000);
  await d.shot('edd-evidence');
  const purposeScan = await d.script(
    `return document.querySelector('[data-testid^="evidence-purpose_of_account-"][data-testid$="-scan"]').getAttribute('data-testid');`,
  );
  await d.click(purposeScan);
  await d.find('file-viewer-page-1', 20000);
  assert.equal(await d.text('file-viewer-page-1'), 'Page 1 of 1');
  await d.until('the page image to be decoded', async () =>
    d.script(`const img = document.querySelector('[data-testid="file-viewer-pdf"] img'); return !!img && img.complete && img.naturalWidth > 0;`), 20000);
  // The drawn page has ink on it, not just a white sheet.
  const probe = await d.script(`const img = document.querySelector('[data-testid="file-viewer-pdf"] img');
    const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
    const g = c.getContext('2d'); g.drawImage(img, 0, 0); const px = g.getImageData(0, 0, c.width, c.height).data;
    let dark = 0; for (let i = 0; i < px.length; i += 4) if (px[i] < 200) dark++;
    return dark;`);
  assert.ok(probe > 100, `the page was drawn with its content (${probe} dark pixels)`);
  await d.shot('pdf-viewer');
  await d.click('file-viewer-close');
  await d.click('decide-outcome-passed');
  await d.fill('decide-reason', 'Source of wealth documented');
  await d.click('decide-submit');
  // Four eyes: the decision waits for a second person, on the case and in the Approvals queue.
  await d.find('case-pending-approvals');
  await d.shot('edd-pending-approval');
  assert.notEqual(dossier('customer', 'show', id).edd_status, 'passed', 'nothing applied yet');
  const [request] = dossier('approval', 'list', '--state', 'pending').items;
  assert.equal(request.kind, 'edd_decision');
  assert.equal(request.maker, 'olivia');
  await d.go('#/approvals');
  await d.find(`approval-withdraw-${request.id}`);
  assert.equal(
    await d.script(`return document.querySelector('[data-testid="approval-approve-${request.id}"]') === null;`),
    true,
    'the maker is not offered Approve',
  );
  // The supervisor signs in at the same desk and approves.
  await d.click('lock-now');
  await d.unlock(PASSPHRASE, 'sam', USERS.sam);
  await d.until('the supervisor to be signed in', async () => (await d.text('signed-in-as')) === 'sam', 20000);
  await d.go('#/approvals');
  await d.click(`approval-approve-${request.id}`);
  await d.until('the request to be approved', async () => dossier('approval', 'show', request.id).state === 'approved');
  await d.shot('edd-approved');
  assert.equal(dossier('customer', 'show', id).edd_status, 'passed');
  const approved = dossier('approval', 'show', request.id);
  assert.deepEqual([approved.maker, approved.checker], ['olivia', 'sam'], 'both people are on the record');

  await d.go('#/customers');
  await d.click('view-preset-edd-passed');
  await d.find('customer-row-E2E-0001');
  await d.shot('edd-passed-view');
  const queue = dossier('queue', 'list', '--edd', 'passed');
  assert.deepEqual(queue.items.map((i) => i.ref_id), ['E2E-0001']);
});

test('a business with two members, verified', async () => {
  await d.go('#/onboard');
  await d.click('onboard-type-business');
  await d.fill('onboard-ref-id', 'E2E-B-0001');
  await d.fill('inst-legal-name', 'Northwind Trading LLC');
  await d.fill('inst-country', 'US');
  await d.fill('member-0-first-name', 'Grace');
  await d.fill('member-0-last-name', 'Hopper');
  await d.fill('member-0-ownership', '60.5');
  await d.click('member-0-role-BENEFICIAL_OWNER');
  await d.click('member-0-role-MANAGEMENT_CONTROL_PERSON');
  await d.click('member-0-control');
  await d.click('member-add');
  await d.fill('member-1-first-name', 'Alan');
  await d.fill('member-1-last-name', 'Turing');
  await d.fill('member-1-ownership', '39.5');
  await d.click('member-1-role-BENEFICIAL_OWNER');
  await d.fill('address-0-street', '1 Market St');
  await d.fill('address-0-city', 'San Francisco');
  await d.fill('address-0-country', 'US');
  await d.fill('contact-0-value', 'ops@northwind.example');
  await d.click('contact-0-verified');
  await d.fill('contact-1-value', '+14155550100');
  await d.click('contact-1-verified');
  await d.fill('document-0-number', 'C-778899');
  await d.fill('document-0-country', 'US');
  await d.click('tax-add');
  await d.fill('tax-0-id', '12-3456789');
  await d.until('both levels to pass', async () => (await d.attr('gate-full', 'data-passes')) === 'true');
  await d.shot('business-members');
  await d.click('verify-partial');
  await d.until('the business to be verified', async () => (await d.text('onboard-state')) === 'Verified');
  const id = await d.attr('onboard-saved', 'data-customer-id');
  await d.find('saved-member-1');
  await d.shot('business-verified');
  const shown = dossier('customer', 'show', id);
  assert.equal(shown.type, 'business');
  assert.equal(shown.state, 'verified');
  assert.deepEqual(
    shown.institution.members.map((m) => [m.last_name, m.ownership_percentage, m.is_control_person]),
    [['Hopper', '60.5', true], ['Turing', '39.5', false]],
  );
  assert.deepEqual(shown.tax_details.map((t) => t.tax_id_type), ['EIN']);
});

test('the dashboard draws open cases by age', async () => {
  // An open case makes the dashboard draw its chart (a page that once blanked the window).
  const business = dossier('queue', 'list', '--state', 'verified').items.find((i) => i.ref_id === 'E2E-B-0001');
  assert.equal(dossier('edd', 'open', '--customer', business.id).state, 'storing');
  await d.go('#/customers');
  await d.go('#/dashboard');
  await d.until('the chart of open cases to draw', async () =>
    (await d.script("return document.querySelector('[data-testid=\"page-error\"]') === null && document.querySelector('[data-testid=\"queue-age-edd\"] .age-chart-part') !== null")));
  await d.shot('dashboard-open-case');
  assert.equal(await d.script("return document.getElementById('root').innerHTML.length > 1000"), true);
});

test('Lock closes the data; only the passphrase opens it again; nothing on disk is readable', async () => {
  await d.click('lock-now');
  await d.find('lock-passphrase');
  assert.equal(await d.script(`return document.querySelector('[data-testid^="nav-"]') === null;`), true, 'no data behind the lock');
  await d.shot('locked');
  await d.fill('lock-passphrase', 'not the passphrase at all');
  await d.fill('lock-user', 'sam');
  await d.fill('lock-password', USERS.sam);
  await d.click('lock-submit');
  await d.until('the refusal to show', async () => (await d.text('lock-error')).includes('does not open'));
  await d.unlock(PASSPHRASE, 'sam', 'not sams password');
  await d.until('the sign-in refusal to show', async () => (await d.text('lock-error')).includes('wrong'));
  await d.fill('lock-password', USERS.sam);
  await d.click('lock-submit');
  await d.find('nav-onboard', 20000);
  // Everything the journeys typed and attached lives under the data directory, encrypted.
  const files = [];
  const walk = (dir) => readdirSync(dir).forEach((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path); else files.push(path);
  });
  walk(dataDir);
  const seeded = ['Evergreen Terrace', 'ana.silva@example.com', 'X12345678', 'Northwind Trading', 'Hopper', '12-3456789', '123456789'];
  for (const path of files) {
    const bytes = readFileSync(path);
    for (const value of seeded) {
      assert.equal(bytes.includes(Buffer.from(value)), false, `${path.slice(dataDir.length)} holds a seeded value in plain text`);
    }
  }
});
