import { ChangePasswordDocument, RequestConfirmationCodeDocument, RevokeSessionDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD, type SignIn } from '../support/accounts';
import { dataOf, DEVICES, errorCodes, graphql } from '../support/client';
import { clusterPerSuite } from '../support/cluster';

const NEW_PASSWORD = 'seven lilac otters at noon';

describe('wrong confirmations and wrong current passwords count per session, never per account', () => {
  // Window 0: every sensitive action asks for a confirmation, as after the window has passed.
  const env = clusterPerSuite({ smtp: true, env: { STEP_UP_WINDOW_SECONDS: '0' } });

  /** The owner's session `owner` and a stolen session `thief` on the same account. */
  async function ownerAndThief(): Promise<{ owner: SignIn; thief: SignIn }> {
    const { signIns } = await accountWithDevices(env.url, [DEVICES.chromeOnWindows, DEVICES.firefoxOnMac]);
    const [owner, thief] = signIns as [SignIn, SignIn];
    return { owner, thief };
  }

  const guessConfirmation = async (from: SignIn, target: SignIn, i: number) =>
    errorCodes(await graphql(env.url, RevokeSessionDocument, { id: target.session.id, confirmation: { password: `guess number ${i}` } }, { token: from.token }));
  const guessCurrentPassword = async (from: SignIn, i: number) =>
    errorCodes(await graphql(env.url, ChangePasswordDocument, { currentPassword: `guess number ${i}`, newPassword: NEW_PASSWORD }, { token: from.token }));

  it('a session that guessed ten confirmations wrong is refused, while the owner, from another session, still signs it out', async () => {
    const { owner, thief } = await ownerAndThief();
    const codes: unknown[] = [];
    for (let i = 0; i < 10; i++) codes.push(...(await guessConfirmation(thief, owner, i)));
    expect(codes).toEqual(Array(10).fill('INVALID_CONFIRMATION'));
    // The thief's session is locked even with the right password...
    expect(errorCodes(await graphql(env.url, RevokeSessionDocument, { id: owner.session.id, confirmation: { password: PASSWORD } }, { token: thief.token }))).toEqual([
      'RATE_LIMITED',
    ]);
    // ...while the owner's right confirmation is never refused: it signs the thief out.
    const revoked = dataOf(await graphql(env.url, RevokeSessionDocument, { id: thief.session.id, confirmation: { password: PASSWORD } }, { token: owner.token }));
    expect(revoked.revokeSession.revokedSessionIds).toEqual([thief.session.id]);
  });

  it('wrong current passwords in changePassword share that budget, and the owner still changes the password', async () => {
    const { owner, thief } = await ownerAndThief();
    const codes: unknown[] = [];
    for (let i = 0; i < 5; i++) codes.push(...(await guessConfirmation(thief, owner, i)));
    for (let i = 5; i < 10; i++) codes.push(...(await guessCurrentPassword(thief, i)));
    expect(codes).toEqual([...Array(5).fill('INVALID_CONFIRMATION'), ...Array(5).fill('INVALID_CONFIRMATION')]);
    expect(errorCodes(await graphql(env.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, { token: thief.token }))).toEqual(['RATE_LIMITED']);
    // The owner's change goes through and, by default, signs the thief out.
    expect(dataOf(await graphql(env.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, { token: owner.token })).changePassword).toBe(true);
    expect(errorCodes(await graphql(env.url, RequestConfirmationCodeDocument, {}, { token: thief.token }))).toEqual(['UNAUTHENTICATED']);
  });

  it('a session that used up its emailed codes does not stop the owner from getting one', async () => {
    const { owner, thief } = await ownerAndThief();
    const codes: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await graphql(env.url, RequestConfirmationCodeDocument, {}, { token: thief.token });
      codes.push(response.errors ? errorCodes(response)[0] : 'SENT');
    }
    expect(codes).toEqual(['SENT', 'SENT', 'SENT', 'SENT', 'SENT', 'RATE_LIMITED']);
    expect(dataOf(await graphql(env.url, RequestConfirmationCodeDocument, {}, { token: owner.token })).requestConfirmationCode).toBe(true);
  });
});
