import { print } from 'graphql';
import { login, SignoffError } from '../../client/src/index';
import {
  ChangePasswordDocument,
  LoginDocument,
  MeDocument,
  RegisterDocument,
  ReportUnrecognizedSessionDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  RevokeSessionDocument,
} from '../generated/graphql';
import { accountWithDevices, PASSWORD, uniqueEmail } from '../support/accounts';
import { dataOf, graphql, LiveConnection, type GraphqlResponse } from '../support/client';
import { clusterPerSuite } from '../support/cluster';

/** `extensions` of the one error the response carries. */
function onlyError(response: GraphqlResponse<unknown>): Record<string, unknown> | undefined {
  expect(response.errors).toHaveLength(1);
  return response.errors?.[0]?.extensions;
}

const NO_SUCH_SESSION = '00000000-0000-4000-8000-000000000000';
const A_GOOD_NEW_PASSWORD = 'violet tractor minnow harbour';

describe('errors name a stable extensions.reason under their code', () => {
  const suite = clusterPerSuite();

  it('a wrong password and an unknown address are both WRONG_CREDENTIALS: the reason tells no more than the code', async () => {
    const email = uniqueEmail();
    dataOf(await graphql(suite.url, RegisterDocument, { input: { email, password: PASSWORD } }));
    const wrongPassword = await graphql(suite.url, LoginDocument, { input: { email, password: 'not the password at all' } });
    const unknownAddress = await graphql(suite.url, LoginDocument, { input: { email: uniqueEmail('nobody'), password: PASSWORD } });
    expect(onlyError(wrongPassword)).toEqual({ code: 'INVALID_CREDENTIALS', reason: 'WRONG_CREDENTIALS' });
    expect(unknownAddress.errors).toEqual(wrongPassword.errors);
  });

  it('a password reset asked for a known and an unknown address answers the same, with no error to branch on', async () => {
    const { email } = await accountWithDevices(suite.url);
    const known = await graphql(suite.url, RequestPasswordResetDocument, { email });
    const unknown = await graphql(suite.url, RequestPasswordResetDocument, { email: uniqueEmail('nobody') });
    expect(known).toEqual({ status: 200, data: { requestPasswordReset: true } });
    expect(unknown).toEqual(known);
  });

  it('an unknown reset link is BAD_USER_INPUT on token with reason LINK_INVALID', async () => {
    const response = await graphql(suite.url, ResetPasswordDocument, { token: 'not-a-real-link', newPassword: A_GOOD_NEW_PASSWORD });
    expect(onlyError(response)).toEqual({ code: 'BAD_USER_INPUT', field: 'token', reason: 'LINK_INVALID' });
  });

  it('an unknown "this wasn\'t me" link is BAD_USER_INPUT on token with reason LINK_INVALID', async () => {
    const response = await graphql(suite.url, ReportUnrecognizedSessionDocument, { token: 'not-a-real-link' });
    expect(onlyError(response)).toEqual({ code: 'BAD_USER_INPUT', field: 'token', reason: 'LINK_INVALID' });
  });

  it('a weak new password is BAD_USER_INPUT with reason PASSWORD_TOO_WEAK; a wrong current one is WRONG_PASSWORD', async () => {
    const { signIns } = await accountWithDevices(suite.url);
    const token = signIns[0]!.token;
    const weak = await graphql(suite.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: 'password1234' }, { token });
    expect(onlyError(weak)).toEqual({ code: 'BAD_USER_INPUT', field: 'newPassword', reason: 'PASSWORD_TOO_WEAK' });
    const wrong = await graphql(suite.url, ChangePasswordDocument, { currentPassword: 'not the password at all', newPassword: A_GOOD_NEW_PASSWORD }, { token });
    expect(onlyError(wrong)).toEqual({ code: 'INVALID_CONFIRMATION', reason: 'WRONG_PASSWORD' });
  });

  it('no token is UNAUTHENTICATED with reason SIGN_IN_REQUIRED', async () => {
    expect(onlyError(await graphql(suite.url, MeDocument, {}))).toEqual({ code: 'UNAUTHENTICATED', reason: 'SIGN_IN_REQUIRED' });
  });

  it('revoking a session the account does not have is NOT_FOUND with reason SESSION_NOT_FOUND, over HTTP and over WebSocket', async () => {
    const { signIns } = await accountWithDevices(suite.url);
    const signIn = signIns[0]!;
    const overHttp = await graphql(suite.url, RevokeSessionDocument, { id: NO_SUCH_SESSION }, { token: signIn.token, device: signIn.device });
    expect(onlyError(overHttp)).toEqual({ code: 'NOT_FOUND', reason: 'SESSION_NOT_FOUND' });

    // The WebSocket transport formats errors in the same one place.
    const connection = await LiveConnection.open(suite.url, signIn.token, signIn.device);
    try {
      const overSocket = await new Promise<unknown[]>((resolve, reject) => {
        const errors: unknown[] = [];
        connection.client.subscribe(
          { query: print(RevokeSessionDocument), variables: { id: NO_SUCH_SESSION } },
          { next: (result) => errors.push(...(result.errors ?? [])), error: reject, complete: () => resolve(errors) },
        );
      });
      expect(overSocket).toEqual([expect.objectContaining({ extensions: { code: 'NOT_FOUND', reason: 'SESSION_NOT_FOUND' } })]);
    } finally {
      await connection.dispose();
    }
  });

  it('the client helper exposes the reason on its SignoffError', async () => {
    const { email } = await accountWithDevices(suite.url);
    const refused = await login({ url: suite.url, email, password: 'not the password at all' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(SignoffError);
    expect(refused).toMatchObject({ code: 'INVALID_CREDENTIALS', reason: 'WRONG_CREDENTIALS' });
  });
});
