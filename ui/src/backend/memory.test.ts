import { describe, expect, it } from 'vitest';

import { individualInput } from '../test/fixtures';
import { pendingOf } from './Backend';
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
    // Four-eyes: the decision waits for a second supervisor, who may not be its maker.
    const held = pendingOf(await b.decideVerification(edd.id, { outcome: 'passed', reason: 'ok', failure_codes: [] }));
    expect(held?.pending_approval.kind).toBe('edd_decision');
    expect((await b.getCustomer(c.id)).edd_status).not.toBe('passed');
    await expect(b.approve(held!.pending_approval.id, null)).rejects.toMatchObject({ body: { code: 'four_eyes_same_user' } });
    b.users.push({ name: 'sam', roles: ['supervisor'], active: true, password: 'sam-password-1', created_at: '2026-01-01T00:00:00Z' });
    await b.unlock('memory passphrase', 'sam', 'sam-password-1');
    expect((await b.approve(held!.pending_approval.id, 'checked')).state).toBe('approved');
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

  it('attaches scans by path and refuses anything that is not an image or a PDF, as the Rust side does', async () => {
    const b = new MemoryBackend();
    const png = await b.attachFile('/home/clerk/scans/Passport Front.PNG');
    expect(png).toMatchObject({ name: 'Passport Front.PNG', media_type: 'image/png' });
    expect(png.reference).toMatch(/^file:[0-9a-f]{64}$/);
    expect((await b.attachFile('/home/clerk/scans/Passport Front.PNG')).reference).toBe(png.reference);
    expect((await b.attachFile('C:\\scans\\statement.pdf')).media_type).toBe('application/pdf');
    for (const [path, code] of [['/home/clerk/notes.txt', 'unsupported_file_type'], ['/home/clerk/scan', 'unsupported_file_type'], ['  ', 'file_unreadable']]) {
      await expect(b.attachFile(path!)).rejects.toMatchObject({ body: { status: 400, code: 'invalid_input', reasons: [{ code, field: 'path' }] } });
    }
    const content = await b.readFile(png.reference);
    expect(content.media_type).toBe('image/png');
    expect(atob(content.data_base64).startsWith('\x89PNG')).toBe(true);
    expect(content.size).toBe(atob(content.data_base64).length);
    await expect(b.readFile(`file:${'0'.repeat(64)}`)).rejects.toMatchObject({ body: { status: 404, code: 'file_not_found' } });
    await expect(b.readFile('/etc/passwd')).rejects.toMatchObject({ body: { status: 400, reasons: [{ code: 'invalid_id' }] } });
  });

  it('refuses documents and evidence naming a scan that is not stored', async () => {
    const b = new MemoryBackend();
    const missing = `file:${'ab'.repeat(32)}`;
    const input = individualInput('F-1');
    input.documents[0]!.files = [{ role: 'front', reference: missing }];
    await expect(b.createCustomer(input)).rejects.toMatchObject({
      body: { status: 400, reasons: [{ code: 'file_not_found', field: 'documents[0].files[0].reference' }] },
    });
    const stored = await b.attachFile('/scans/front.jpg');
    input.documents[0]!.files = [{ role: 'front', reference: stored.reference }, { role: 'back', reference: 'cybrid-doc-42' }];
    const c = await b.createCustomer(input);
    expect(c.documents[0]!.files.map((f) => f.reference)).toEqual([stored.reference, 'cybrid-doc-42']);
    await expect(
      b.addDocument(c.id, { type: 'passport', number: 'Y1', issuing_country: 'US', issued_on: null, expires_on: null, status: null, files: [{ role: 'front', reference: missing }] }),
    ).rejects.toMatchObject({ body: { reasons: [{ code: 'file_not_found', field: 'document.files[0].reference' }] } });
  });

  it("lists one customer's outbox messages", async () => {
    const b = new MemoryBackend();
    await b.setProvider({ name: 'cybrid', base_url: 'http://127.0.0.1:1', client_id: null, client_secret: null, tenant: null });
    const one = await b.createCustomer(individualInput('O-1'));
    const two = await b.createCustomer(individualInput('O-2'));
    const page = await b.syncList({ status: null, customer: two.id, limit: null, after: null });
    expect(page.items.map((m) => m.aggregate_id)).toEqual([two.id]);
    expect((await b.syncList({ status: null, customer: null, limit: null, after: null })).items).toHaveLength(2);
    expect(one.id).not.toBe(two.id);
    await expect(b.syncList({ customer: 'BR-1' })).rejects.toMatchObject({ body: { reasons: [{ code: 'invalid_id', field: 'customer' }] } });
  });

  it('searches name, ref id and emails by word prefix, like the Rust side', async () => {
    const b = new MemoryBackend();
    const person = (ref: string, first: string, last: string, email: string | null) =>
      b.createCustomer(
        individualInput(ref, {
          person: { first_name: first, middle_name: null, last_name: last, date_of_birth: '1980-01-01', country_of_citizenship: null, country_of_birth: null, occupation: null },
          contacts: email ? [{ kind: 'email', value: email }] : [],
        }),
      );
    const anna = await person('S-0001', 'Anna', 'Schmidt', 'anna.schmidt@example.com');
    const anton = await person('S-0002', 'Anton', 'Müller', null);
    const zoe = await person('OTHER-9', 'Zoë', 'Okafor', 'z.okafor@mail.test');
    const query = { state: null, verification_state: null, verification_method: null, edd: null, risk: null, identity_status: null, refresh_due_before: null, assignee: null, sla_breached: false, sort: null, limit: null, after: null };
    const search = async (text: string) => (await b.listQueue({ ...query, search: text })).items.map((i) => i.id).sort();
    const sorted = (...ids: string[]) => [...ids].sort();
    expect(await search('an')).toEqual(sorted(anna.id, anton.id));
    expect(await search('ann schm')).toEqual([anna.id]);
    expect(await search('SCHMIDT')).toEqual([anna.id]);
    expect(await search('muller')).toEqual([anton.id]);
    expect(await search('zoe')).toEqual([zoe.id]);
    expect(await search('s-000')).toEqual(sorted(anna.id, anton.id));
    expect(await search('anna.schmidt@example.com')).toEqual([anna.id]);
    expect(await search('okafor@mail')).toEqual([zoe.id]);
    expect(await search('nobody')).toEqual([]);
    expect(await search('"* OR NEAR(')).toEqual([]);
    expect(await search('  ')).toHaveLength(3);
    // Combines with the other filters and keeps keyset pages.
    const first = await b.listQueue({ ...query, search: 'an', state: 'pending', limit: 1 });
    expect(first.items).toHaveLength(1);
    const second = await b.listQueue({ ...query, search: 'an', state: 'pending', limit: 1, after: first.next });
    expect([...first.items, ...second.items].map((i) => i.id).sort()).toEqual(sorted(anna.id, anton.id));
    expect(second.next).toBeNull();
    // An email added later is found.
    await b.addContact(anton.id, { kind: 'email', value: 'toni@firma.test' });
    expect(await search('toni@firma')).toEqual([anton.id]);
    await expect(b.listQueue({ ...query, search: 'x '.repeat(150) })).rejects.toMatchObject({
      body: { status: 400, reasons: [{ code: 'too_long', field: 'search' }] },
    });
    await expect(b.listQueue({ ...query, search: 'a b c d e f g h i' })).rejects.toMatchObject({ body: { reasons: [{ code: 'too_long' }] } });
  });
});
