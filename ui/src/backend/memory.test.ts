import { describe, expect, it } from 'vitest';

import { individualInput } from '../test/fixtures';
import { MemoryBackend } from './memory';

describe('in-memory test double', () => {
  it('runs the verify gate in the documented order and refuses with every reason', async () => {
    const b = new MemoryBackend();
    const c = await b.createCustomer(individualInput('G-1', { addresses: [], documents: [] }));
    expect(c.verification_gate.partial.reasons.map((r) => r.code)).toEqual([
      'primary_address_missing',
      'identity_document_missing',
      'email_unverified',
      'mobile_unverified',
    ]);
    await expect(b.verifyCustomer(c.id, 'partial', null)).rejects.toMatchObject({
      body: { status: 403, code: 'domain_rule_violation', message: expect.stringContaining('4 rules not met') },
    });
    expect(b.audit.filter((e) => e.action === 'customer.verify')).toHaveLength(0);
  });

  it('follows the lifecycle and EDD rules', async () => {
    const b = new MemoryBackend();
    const c = await b.createCustomer(individualInput('G-2'));
    await expect(b.openEdd(c.id)).rejects.toMatchObject({ body: { status: 422, code: 'unverified_customer' } });
    await b.verifyContact(c.id, { kind: 'email', method: 'code', contact_id: null });
    await b.verifyContact(c.id, { kind: 'mobile', method: 'code', contact_id: null });
    const v = await b.verifyCustomer(c.id, 'partial', null);
    expect(v.state).toBe('verified');
    expect(v.activity_limits?.tier).toBe('partial');
    await expect(b.verifyCustomer(c.id, 'partial', null)).rejects.toMatchObject({ body: { code: 'customer_already_verified' } });
    const edd = await b.openEdd(c.id);
    await expect(b.openEdd(c.id)).rejects.toMatchObject({ body: { status: 409, code: 'data_exists' } });
    await expect(b.lifecycle(c.id, 'reject', 'x')).rejects.toMatchObject({ body: { code: 'invalid_transition' } });
    for (const item of edd.checklist!.map((i) => i.item)) await b.addEvidence(edd.id, { item, reference: `/f/${item}`, description: null });
    await b.decideVerification(edd.id, { outcome: 'passed', reason: 'ok', failure_codes: [] });
    const after = await b.getCustomer(c.id);
    expect(after.edd_status).toBe('passed');
    expect(after.activity_limits?.tier).toBe('edd');
    const page = await b.listQueue({ state: null, verification_state: null, verification_method: null, edd: 'passed', risk: null, identity_status: null, refresh_due_before: null, assignee: null, sla_breached: false, sort: null, limit: null, after: null });
    expect(page.items.map((i) => i.ref_id)).toEqual(['G-2']);
  });

  it('pages with keyset cursors', async () => {
    const b = new MemoryBackend();
    for (let i = 0; i < 5; i += 1) await b.createCustomer(individualInput(`P-${i}`));
    const q = { state: null, verification_state: null, verification_method: null, edd: null, risk: null, identity_status: null, refresh_due_before: null, assignee: null, sla_breached: false, sort: 'oldest', limit: 2, after: null as string | null };
    const seen: string[] = [];
    let page = await b.listQueue(q);
    seen.push(...page.items.map((i) => i.ref_id));
    while (page.next) {
      page = await b.listQueue({ ...q, after: page.next });
      seen.push(...page.items.map((i) => i.ref_id));
    }
    expect(seen).toEqual(['P-0', 'P-1', 'P-2', 'P-3', 'P-4']);
  });

  it('syncs with progress events and leaves refused messages needing attention', async () => {
    const b = new MemoryBackend();
    await b.setProvider({ name: 'cybrid', base_url: 'http://127.0.0.1:1', client_id: null, client_secret: 's', tenant: null });
    await b.setProvider({ name: 'paxos', base_url: 'http://127.0.0.1:2', client_id: null, client_secret: null, tenant: null });
    b.providers.find((p) => p.name === 'paxos')!.refuses = ['customer.create'];
    await b.createCustomer(individualInput('S-1'));
    const events: number[] = [];
    const off = await b.onSyncProgress((p) => events.push(p.delivered + p.needs_attention));
    const r = await b.syncRun();
    off();
    expect(r).toMatchObject({ delivered: 1, needs_attention: 1 });
    expect(events).toEqual([1, 2]);
    const attention = await b.syncList({ status: 'needs_attention', limit: null, after: null });
    expect(attention.items).toHaveLength(1);
    const m = attention.items[0]!;
    expect(m.last_error).toContain('paxos');
    await expect(b.syncDiscard(m.id, '')).rejects.toMatchObject({ body: { status: 400 } });
    expect((await b.syncRetry(m.id)).status).toBe('pending');
  });
});
