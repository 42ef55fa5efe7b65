import { get } from 'node:http';
import {
  BeginTotpSetupDocument,
  ChangePasswordDocument,
  LoginDocument,
  MeDocument,
  OnSessionTerminatedDocument,
  RegisterDocument,
  RequestEmailVerificationDocument,
  RequestPasswordResetDocument,
  VerifyEmailDocument,
} from '../generated/graphql';
import { PASSWORD, uniqueEmail, verifyAddress, isLive, loginCodes } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql, type TestDevice } from '../support/client';
import { verificationToken, VERIFICATION_SUBJECT } from '../support/mailboxes';
import { sql, clusterPerSuite } from '../support/cluster';
import type { ReceivedMail } from '../support/smtp';

const SQUATTER_PASSWORD = 'the squatter chose this';

describe('email ownership: an address belongs to whoever proves its mailbox', () => {
  const env = clusterPerSuite({ smtp: true });

  const register = async (email: string, password = PASSWORD, device: TestDevice = DEVICES.chromeOnWindows) =>
    dataOf(await graphql(env.url, RegisterDocument, { input: { email, password } }, { device })).register;

  const verificationMail = (email: string, match: (mail: ReceivedMail) => boolean = () => true) =>
    env.smtp.next((m) => m.to === email && m.subject === VERIFICATION_SUBJECT && match(m));

  function tokenOf(mail: ReceivedMail): string {
    const token = verificationToken(mail.text);
    if (!token) throw new Error(`no link in ${mail.text}`);
    return token;
  }

  const me = async (token: string) => dataOf(await graphql(env.url, MeDocument, {}, { token })).me;

  /** The shape of an answer: every key and the type of every leaf, nothing that differs by nature (ids, tokens, times). */
  function shapeOf(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(shapeOf);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
    return typeof value;
  }

  it('register answers emailVerified false and emails a single-use link, stored only hashed, that lives 24 hours and verifies the address', async () => {
    const email = uniqueEmail();
    const registered = await register(email);
    expect(registered.user.emailVerified).toBe(false);
    expect((await me(registered.token)).emailVerified).toBe(false);

    const mail = await verificationMail(email);
    expect(mail.text).toContain('Chrome on Windows');
    const token = tokenOf(mail);
    const rows = await sql<{ token_hash: string; seconds: string }>(
      env,
      `SELECT token_hash, extract(epoch FROM expires_at - created_at) AS seconds FROM one_time_tokens WHERE user_id = $1 AND purpose = 'EMAIL_VERIFICATION'`,
      [registered.user.id],
    );
    expect(rows.map((row) => Number(row.seconds))).toEqual([24 * 3600]);
    expect(JSON.stringify(rows)).not.toContain(token);

    expect(dataOf(await graphql(env.url, VerifyEmailDocument, { token })).verifyEmail).toBe(true);
    expect((await me(registered.token)).emailVerified).toBe(true);
    expect(errorCodes(await graphql(env.url, VerifyEmailDocument, { token }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await graphql(env.url, VerifyEmailDocument, { token: 'sov_not-a-real-one' }))).toEqual(['BAD_USER_INPUT']);
  });

  it('until the address is verified, two-factor cannot be turned on; a new link can be asked for', async () => {
    const email = uniqueEmail();
    const registered = await register(email);
    const refused = await graphql(env.url, BeginTotpSetupDocument, {}, { token: registered.token });
    expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors?.[0]?.message).toMatch(/confirm your email address/i);
    const [row] = await sql<{ totp_pending_secret: string | null }>(env, 'SELECT totp_pending_secret FROM users WHERE id = $1', [registered.user.id]);
    expect(row!.totp_pending_secret).toBeNull();

    // The first link is lost; a new one replaces it.
    const first = tokenOf(await verificationMail(email));
    expect(dataOf(await graphql(env.url, RequestEmailVerificationDocument, {}, { token: registered.token })).requestEmailVerification).toBe(true);
    const second = tokenOf(await verificationMail(email));
    expect(errorCodes(await graphql(env.url, VerifyEmailDocument, { token: first }))).toEqual(['BAD_USER_INPUT']);
    dataOf(await graphql(env.url, VerifyEmailDocument, { token: second }));

    expect(dataOf(await graphql(env.url, BeginTotpSetupDocument, {}, { token: registered.token })).beginTotpSetup.secret).toMatch(/^[A-Z2-7]+/);
  });

  it('sign-in alerts and security notices go only to a verified address', async () => {
    const email = uniqueEmail();
    const registered = await register(email);
    await verificationMail(email); // left unused for now
    dataOf(await graphql(env.url, LoginDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.firefoxOnMac }));
    dataOf(
      await graphql(
        env.url,
        ChangePasswordDocument,
        { currentPassword: PASSWORD, newPassword: 'changed while unverified', signOutOtherSessions: false },
        { token: registered.token },
      ),
    );
    await expect(env.smtp.next((m) => m.to === email, 700)).rejects.toThrow(/no matching email/);

    dataOf(await graphql(env.url, RequestEmailVerificationDocument, {}, { token: registered.token }));
    dataOf(await graphql(env.url, VerifyEmailDocument, { token: tokenOf(await verificationMail(email)) }));
    dataOf(await graphql(env.url, LoginDocument, { input: { email, password: 'changed while unverified' } }, { device: DEVICES.safariOnIphone }));
    await env.smtp.next((m) => m.to === email && /new sign-in/i.test(m.subject) && m.text.includes('Safari on iOS'));
    dataOf(await graphql(env.url, ChangePasswordDocument, { currentPassword: 'changed while unverified', newPassword: 'changed once verified' }, { token: registered.token }));
    await env.smtp.next((m) => m.to === email && m.subject === 'Your password was changed');
  });

  it('registering a taken address answers exactly as for a new one, and emails the verified owner instead', async () => {
    const email = uniqueEmail();
    const owner = await register(email);
    await verifyAddress(env.url, email);

    const fresh = await register(uniqueEmail(), SQUATTER_PASSWORD, DEVICES.firefoxOnMac);
    const again = await register(email.toUpperCase(), SQUATTER_PASSWORD, DEVICES.firefoxOnMac);
    expect(shapeOf(again)).toEqual(shapeOf(fresh));
    expect(again.user).toMatchObject({ email, emailVerified: false, twoFactorEnabled: false });
    expect(again.user.id).not.toBe(owner.user.id);

    // The owner hears of it, with nothing to click; no link to claim the address goes out.
    const notice = await env.smtp.next((m) => m.to === email && /tried to register/i.test(m.subject));
    expect(notice.text).toContain('Firefox on macOS');
    expect(notice.text).not.toMatch(/https?:\/\//);
    await expect(env.smtp.next((m) => m.to === email && m.subject === VERIFICATION_SUBJECT, 700)).rejects.toThrow(/no matching email/);

    // The second registration can never sign in by the address, nor get its reset link; the owner is untouched.
    expect(await loginCodes(env.url, email, SQUATTER_PASSWORD)).toEqual(['INVALID_CREDENTIALS']);
    expect(await loginCodes(env.url, email, PASSWORD)).toEqual(['OK']);
    expect(await isLive(env.url, owner.token)).toBe(true);
    dataOf(await graphql(env.url, RequestPasswordResetDocument, { email }));
    await env.smtp.next((m) => m.to === email && /reset/i.test(m.subject));
    const resets = await sql(env, `SELECT user_id FROM one_time_tokens WHERE purpose = 'PASSWORD_RESET' AND user_id IN ($1, $2)`, [owner.user.id, again.user.id]);
    expect(resets).toEqual([{ user_id: owner.user.id }]);
  });

  it('the owner of the mailbox takes the address back from a squatter who never verified it, ending every session of the squatter', async () => {
    const email = uniqueEmail();
    const squatter = await register(email, SQUATTER_PASSWORD, DEVICES.firefoxOnMac);
    const squatterLink = await verificationMail(email); // lands in the owner's mailbox; the owner ignores it
    const squatterSecond = dataOf(await graphql(env.url, LoginDocument, { input: { email, password: SQUATTER_PASSWORD } }, { device: DEVICES.chromeOnPixel })).login;
    const socket = await env.connect(squatter.token, DEVICES.firefoxOnMac);
    const events = socket.subscribe(OnSessionTerminatedDocument);
    await env.waitForSubscribers(1);

    // The real owner registers the same address, gets the same kind of answer, and proves the mailbox.
    const owner = await register(email, PASSWORD, DEVICES.chromeOnWindows);
    expect(owner.user).toMatchObject({ email, emailVerified: false });
    const claim = await verificationMail(email, (m) => /without having confirmed it/.test(m.text));
    dataOf(await graphql(env.url, VerifyEmailDocument, { token: tokenOf(claim) }, { device: DEVICES.chromeOnWindows }));

    expect((await events.next()).sessionTerminated).toMatchObject({ sessionId: squatter.session.id, reason: 'ACCOUNT_RECLAIMED', terminatedBy: null });
    expect(await socket.waitForClose()).toEqual({ code: 4401, reason: 'Session terminated' });
    expect(await isLive(env.url, squatter.token)).toBe(false);
    expect(await isLive(env.url, squatterSecond.token)).toBe(false);
    expect(await loginCodes(env.url, email, SQUATTER_PASSWORD)).toEqual(['INVALID_CREDENTIALS']);
    expect((await me(owner.token)).emailVerified).toBe(true);
    const back = dataOf(await graphql(env.url, LoginDocument, { input: { email, password: PASSWORD } })).login;
    expect(back.user.id).toBe(owner.user.id);

    // The squatter's own link, spent later, verifies nothing and takes nothing back.
    expect(errorCodes(await graphql(env.url, VerifyEmailDocument, { token: tokenOf(squatterLink) }))).toEqual(['BAD_USER_INPUT']);
    expect(await isLive(env.url, back.token)).toBe(true);
    const audit = await sql<{ type: string; target_session_ids: string }>(
      env,
      `SELECT type, target_session_ids FROM audit_events WHERE user_id = $1 AND type = 'ACCOUNT_RECLAIMED'`,
      [squatter.user.id],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]!.target_session_ids.split(',').sort()).toEqual([squatter.session.id, squatterSecond.session.id].sort());
  });

  it('a claim link is refused once the holder has verified the address', async () => {
    const email = uniqueEmail();
    const holder = await register(email);
    const holderLink = await verificationMail(email);
    await register(email, SQUATTER_PASSWORD, DEVICES.firefoxOnMac);
    const claim = await verificationMail(email, (m) => /without having confirmed it/.test(m.text));
    dataOf(await graphql(env.url, VerifyEmailDocument, { token: tokenOf(holderLink) }));

    expect(errorCodes(await graphql(env.url, VerifyEmailDocument, { token: tokenOf(claim) }))).toEqual(['BAD_USER_INPUT']);
    expect(await isLive(env.url, holder.token)).toBe(true);
    expect(await loginCodes(env.url, email, PASSWORD)).toEqual(['OK']);
    expect(await loginCodes(env.url, email, SQUATTER_PASSWORD)).toEqual(['INVALID_CREDENTIALS']);
  });

  it('opening the verification link changes nothing until the person presses the button', async () => {
    const email = uniqueEmail();
    const registered = await register(email);
    const token = tokenOf(await verificationMail(email));
    const page = await new Promise<{ status: number; cacheControl: unknown; body: string }>((resolve, reject) => {
      get(new URL(`/verify-email?token=${token}`, env.url), { headers: { accept: 'text/html' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, cacheControl: res.headers['cache-control'], body: Buffer.concat(chunks).toString('utf8') }));
      }).on('error', reject);
    });
    expect(page).toMatchObject({ status: 200, cacheControl: 'no-store' });
    expect(page.body).toContain('Confirm my address');
    expect((await me(registered.token)).emailVerified).toBe(false);
    dataOf(await graphql(env.url, VerifyEmailDocument, { token }));
    expect((await me(registered.token)).emailVerified).toBe(true);
  });
});
