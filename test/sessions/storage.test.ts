import { createHash } from 'node:crypto';
import { RegisterDocument, RevokeSessionDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD, uniqueEmail } from '../support/accounts';
import { dataOf, graphql } from '../support/client';
import { clusterPerSuite, sql } from '../support/cluster';

describe('what the database keeps', () => {
  const suite = clusterPerSuite();

  it('stores the password as argon2id and the token only as its SHA-256', async () => {
    const email = uniqueEmail();
    const { token, session } = dataOf(await graphql(suite.url, RegisterDocument, { input: { email, password: PASSWORD } })).register;
    expect(token).toMatch(/^so_[A-Za-z0-9_-]{43}$/); // 256 random bits

    const [user] = await sql(suite, 'SELECT * FROM users WHERE email = $1', [email]);
    expect(String(user?.password_hash)).toMatch(/^\$argon2id\$/);
    const [row] = await sql(suite, 'SELECT * FROM sessions WHERE id = $1', [session.id]);
    expect(row?.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token.slice(3));
  });

  it('keeps a revoked session as history: when, why and by which session', async () => {
    const { signIns } = await accountWithDevices(suite.url);
    const [a, b] = signIns as [(typeof signIns)[0], (typeof signIns)[0]];
    dataOf(await graphql(suite.url, RevokeSessionDocument, { id: b.session.id }, { token: a.token }));
    const [row] = await sql(suite, 'SELECT revoked_at, revoke_reason, revoked_by_session_id, device_label, ip_address FROM sessions WHERE id = $1', [b.session.id]);
    expect(row).toMatchObject({ revoke_reason: 'REVOKED', revoked_by_session_id: a.session.id, device_label: 'Safari on iOS', ip_address: '127.0.0.3' });
    expect(row?.revoked_at).toBeInstanceOf(Date);
  });
});
