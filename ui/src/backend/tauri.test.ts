// The Tauri backend against the generated command table: it invokes only commands that exist,
// every command is wired to some Backend method, and rejections arrive as BackendErrors.
// (Argument names and DTOs are checked by the compiler through `call`'s types.)
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { COMMAND_NAMES, EVENT_NAMES } from '../bindings/commands';
import { individualInput } from '../test/fixtures';
import type { Backend } from './Backend';
import { BackendError } from './Backend';
import { defaultPolicy } from './memory';

const invoked: Array<{ name: string; args: unknown }> = [];
const listened: string[] = [];
let rejectWith: unknown = null;

vi.mock('@tauri-apps/api/core', () => ({
  invoke: vi.fn(async (name: string, args: unknown) => {
    invoked.push({ name, args });
    if (rejectWith !== null) throw rejectWith;
    return null;
  }),
}));

vi.mock('@tauri-apps/api/event', () => ({
  listen: vi.fn(async (name: string) => {
    listened.push(name);
    return () => undefined;
  }),
}));

const { createTauriBackend } = await import('./tauri');

const ID = '00000000-0000-4000-8000-000000000001';

/**
 * One sample call per Backend method. Typed as every method's parameters, so a method added
 * to the Backend without an entry here does not compile.
 */
const SAMPLE_ARGS: { [M in keyof Backend]: Parameters<Backend[M]> } = {
  sessionState: [],
  setUp: ['a long passphrase', 'admin', 'a long password'],
  unlock: ['a long passphrase', 'olivia', 'a long password'],
  lock: [],
  appInfo: [],
  listApprovals: [{ state: 'pending', kind: null, customer_id: null, limit: 50, after: null }],
  approve: [ID, null],
  rejectApproval: [ID, 'not enough evidence'],
  withdrawApproval: [ID],
  listUsers: [],
  addUser: ['olivia', ['officer'], 'a long password'],
  setUserRoles: ['olivia', ['officer', 'supervisor']],
  disableUser: ['olivia'],
  enableUser: ['olivia'],
  changePassword: [null, 'a longer password'],
  backup: ['/tmp/x.backup'],
  restoreBackup: ['/tmp/x.backup', 'a long passphrase'],
  dashboard: [],
  listQueue: [
    { state: null, verification_state: null, verification_method: null, edd: null, risk: null, identity_status: null, refresh_due_before: null, assignee: null, sla_breached: false, sort: null, limit: 12, after: null, search: 'ana' },
  ],
  getCustomer: [ID],
  createCustomer: [individualInput('T-1')],
  previewGate: [individualInput('T-1'), ['email']],
  addAddress: [ID, { kind: 'residential', primary: true, street_address: '1 Main St', street_address_2: null, city: 'Springfield', state: null, postal_code: null, country: 'US' }],
  addDocument: [ID, { type: 'passport', number: 'X1', issuing_country: 'US', issued_on: null, expires_on: null, status: null, files: [] }],
  addContact: [ID, { kind: 'email', value: 'a@example.com' }],
  addTaxDetail: [ID, { tax_id_type: 'SSN', tax_id: '123456789', country: 'US' }],
  addMember: [ID, { first_name: 'A', last_name: 'B', title: null, roles: [], ownership_percentage: null, date_of_birth: null, is_control_person: false, person_customer_id: null }],
  verifyContact: [ID, { kind: 'email', method: 'code', contact_id: null }],
  verifyCustomer: [ID, 'partial', null],
  activateCustomer: [ID],
  reveal: [ID, { field: 'tax_id', item_id: null, reason: 'called the customer back' }],
  lifecycle: [ID, 'reject', 'forged'],
  listVerifications: [{ customer_id: ID, type: null, method: null, states: [], outcome: null, limit: 10, after: null }],
  getVerification: [ID],
  createVerification: [{ customer_id: ID, type: 'kyc', method: 'attested', external_reference: null }],
  openEdd: [ID],
  advanceVerification: [ID, { to: 'waiting', outcome: null, failure_codes: [], compliance_checks: [] }],
  decideVerification: [ID, { outcome: 'passed', reason: 'ok', failure_codes: [] }],
  addEvidence: [ID, { item: 'source_of_funds', reference: `file:${'ab'.repeat(32)}`, description: null }],
  addNote: [ID, 'note'],
  assignCase: [ID, 'officer.kim'],
  snoozeCase: [ID, '2026-12-01', null],
  performKyc: [ID, { perform_kyc: true, program_guid: null, identifications: [], document: null, answers: [], client_verification: null, notes: null }],
  kycResults: [ID],
  identityStatus: [ID],
  risk: [ID],
  decisions: [ID],
  auditEvents: [{ entity: ID, limit: 50, after: null }],
  getPolicy: [],
  setPolicy: [defaultPolicy()],
  listProviders: [],
  setProvider: [{ name: 'cybrid', base_url: 'http://127.0.0.1:1', client_id: null, client_secret: null, tenant: null }],
  disableProvider: ['cybrid'],
  syncStatus: [],
  syncList: [{ status: null, customer: ID, limit: 100, after: null }],
  syncRun: [],
  syncRetry: [ID],
  syncDiscard: [ID, 'duplicate'],
  openFile: [],
  attachFile: ['/home/clerk/scans/passport.png'],
  readFile: [`file:${'ab'.repeat(32)}`],
  onSyncProgress: [() => undefined],
};

async function callEveryMethod(backend: Backend): Promise<void> {
  for (const method of Object.keys(SAMPLE_ARGS) as Array<keyof Backend>) {
    const fn = backend[method] as (...args: unknown[]) => unknown;
    await fn(...SAMPLE_ARGS[method]);
  }
}

describe('the Tauri backend', () => {
  beforeEach(() => {
    invoked.length = 0;
    listened.length = 0;
    rejectWith = null;
  });

  it('invokes only commands of the generated table, and every command is wired', async () => {
    const backend = createTauriBackend();
    expect(Object.keys(backend).sort()).toEqual(Object.keys(SAMPLE_ARGS).sort());
    await callEveryMethod(backend);
    const names = new Set(invoked.map((c) => c.name));
    const known = new Set<string>(COMMAND_NAMES);
    expect([...names].filter((n) => !known.has(n))).toEqual([]);
    expect(COMMAND_NAMES.filter((n) => !names.has(n))).toEqual([]);
    expect(listened).toEqual([EVENT_NAMES.syncProgress]);
  });

  it('sends camelCase argument keys as the command table names them', async () => {
    const backend = createTauriBackend();
    await backend.openEdd(ID);
    await backend.syncList({ status: 'pending', customer: ID, limit: 10, after: null });
    await backend.attachFile('/scans/a.pdf');
    expect(invoked).toEqual([
      { name: 'open_edd', args: { id: ID } },
      { name: 'sync_list', args: { status: 'pending', customer: ID, limit: 10, after: null } },
      { name: 'attach_file', args: { path: '/scans/a.pdf' } },
    ]);
  });

  it('turns rejections into BackendErrors', async () => {
    const backend = createTauriBackend();
    rejectWith = { status: 400, code: 'invalid_input', message: 'the file is not a PNG, JPEG, GIF, WebP or PDF file', reasons: [{ code: 'unsupported_file_type', message: 'x', field: 'path' }] };
    const error = await backend.attachFile('/notes.txt').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).body.reasons[0]).toMatchObject({ code: 'unsupported_file_type', field: 'path' });
    rejectWith = 'command read_file not found';
    await expect(backend.readFile('file:x')).rejects.toMatchObject({ code: 'internal_error' });
  });
});
