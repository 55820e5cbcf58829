// The real backend: one Tauri command per method, every one through `call`, which is typed by
// the generated command table (`bindings/commands.ts`). A command, argument or DTO renamed on
// the Rust side is therefore a compile error here, not a failure at run time. Argument keys are
// camelCase (Tauri maps them to the Rust parameters); every rejection becomes a BackendError.

import { invoke } from '@tauri-apps/api/core';
import type { InvokeArgs } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';

import type { CommandName, Commands, Events } from '../bindings/commands';
import { EVENT_NAMES } from '../bindings/commands';
import type { Backend, Unlisten } from './Backend';
import { toBackendError } from './Backend';

/** Invokes one command with exactly the arguments its Rust signature takes. */
export async function call<K extends CommandName>(name: K, args: Commands[K]['args']): Promise<Commands[K]['result']> {
  try {
    // The generated argument types are plain object types, which is what `invoke` sends.
    return await invoke<Commands[K]['result']>(name, args as InvokeArgs);
  } catch (raw) {
    throw toBackendError(raw);
  }
}

/** Listens to one backend event with its generated payload type. */
async function on<E extends keyof Events>(name: E, handler: (payload: Events[E]) => void): Promise<Unlisten> {
  return listen<Events[E]>(name, (event) => handler(event.payload));
}

export function createTauriBackend(): Backend {
  return {
    sessionState: () => call('session_state', {}),
    setUp: (passphrase, admin, password) => call('set_up', { passphrase, admin, password }),
    unlock: (passphrase, user, password) => call('unlock', { passphrase, user, password }),
    lock: () => call('lock', {}).then(() => undefined),
    appInfo: () => call('app_info', {}),
    reveal: (id, input) => call('reveal', { id, input }),
    backup: (path) => call('backup', { path }),
    restoreBackup: (path, passphrase) => call('restore_backup', { path, passphrase }),
    dashboard: () => call('dashboard', {}),

    listQueue: (query) => call('list_queue', { query }),
    getCustomer: (id) => call('get_customer', { id }),
    createCustomer: (input) => call('create_customer', { input }),
    previewGate: (input, verified) => call('preview_gate', { input, verified }),
    addAddress: (id, input) => call('add_address', { id, input }),
    addDocument: (id, input) => call('add_document', { id, input }),
    addContact: (id, input) => call('add_contact', { id, input }),
    addTaxDetail: (id, input) => call('add_tax_detail', { id, input }),
    addMember: (id, input) => call('add_member', { id, input }),
    verifyContact: (id, input) => call('verify_contact', { id, input }),
    verifyCustomer: (id, level, note) => call('verify_customer', { id, level, note }),
    activateCustomer: (id) => call('activate_customer', { id }),
    lifecycle: (id, action, reason) => call('lifecycle', { id, action, reason }),

    listVerifications: (query) => call('list_verifications', { query }),
    getVerification: (id) => call('get_verification', { id }),
    createVerification: (input) => call('create_verification', { input }),
    openEdd: (customerId) => call('open_edd', { id: customerId }),
    advanceVerification: (id, input) => call('advance_verification', { id, input }),
    decideVerification: (id, input) => call('decide_verification', { id, input }),
    addEvidence: (id, input) => call('add_evidence', { id, input }),
    addNote: (id, text) => call('add_note', { id, text }),
    assignCase: (id, assignee) => call('assign_case', { id, assignee }),
    snoozeCase: (id, until, reason) => call('snooze_case', { id, until, reason }),

    performKyc: (customerId, input) => call('perform_kyc', { id: customerId, input }),
    kycResults: (customerId) => call('kyc_results', { id: customerId }),
    identityStatus: (customerId) => call('identity_status', { id: customerId }),
    risk: (customerId) => call('risk', { id: customerId }),
    decisions: (customerId) => call('decisions', { id: customerId }),
    auditEvents: ({ entity, limit, after }) => call('audit_events', { entity, limit, after }),

    getPolicy: () => call('get_policy', {}),
    setPolicy: (input) => call('set_policy', { input }),
    listProviders: () => call('list_providers', {}),
    setProvider: (input) => call('set_provider', { input }),
    disableProvider: (name) => call('disable_provider', { name }),

    syncStatus: () => call('sync_status', {}),
    syncList: ({ status, customer, limit, after }) => call('sync_list', { status, customer, limit, after }),
    syncRun: () => call('sync_run', {}),
    syncRetry: (id) => call('sync_retry', { id }),
    syncDiscard: (id, reason) => call('sync_discard', { id, reason }),

    listApprovals: (query) => call('list_approvals', { query }),
    approve: (id, reason) => call('approve', { id, reason }),
    rejectApproval: (id, reason) => call('reject_approval', { id, reason }),
    withdrawApproval: (id) => call('withdraw_approval', { id }),

    listUsers: () => call('list_users', {}),
    addUser: (name, roles, password) => call('add_user', { name, roles, password }),
    setUserRoles: (name, roles) => call('set_user_roles', { name, roles }),
    disableUser: (name) => call('disable_user', { name }),
    enableUser: (name) => call('enable_user', { name }),
    changePassword: (name, password) => call('change_password', { name, password }),

    openFile: () => call('pick_file', {}),
    attachFile: (path) => call('attach_file', { path }),
    readFile: (reference) => call('read_file', { reference }),

    onSyncProgress: (handler) => on(EVENT_NAMES.syncProgress, handler),
  };
}
