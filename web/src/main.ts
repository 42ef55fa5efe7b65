/**
 * The devices page: sign in, see every signed-in device live, sign any of them out, and manage
 * the account's security. Plain DOM code over @signoff/client; every text from the server goes
 * in through textContent, never as HTML.
 *
 * The token is kept in sessionStorage: it survives a reload of this tab (so a reload does not
 * leave a forgotten session behind) but no other tab, window or later visitor sees it, and it
 * is gone when the tab closes. Nothing goes to localStorage or cookies.
 */
import { toDataURL } from 'qrcode';
import {
  AuditLogDocument,
  BeginTotpSetupDocument,
  ChangePasswordDocument,
  ConfirmTotpSetupDocument,
  createSignoffClient,
  DisableTotpDocument,
  login,
  LogoutDocument,
  MeDocument,
  RequestConfirmationCodeDocument,
  RevokeOtherSessionsDocument,
  RevokeSessionDocument,
  SessionsChangedDocument,
  SessionsDocument,
  SignoffError,
  type AuditLogQuery,
  type ConfirmationInput,
  type DeviceSessionFragment,
  type MeQuery,
  type SignedOutEvent,
  type SignoffClient,
} from '../../client/src/index';
import './style.css';

const API_URL = new URL('/graphql', location.href).toString();
const TOKEN_KEY = 'signoff.token';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing`);
  return element as T;
};
const errorIn = (container: HTMLElement) => container.querySelector<HTMLElement>('.error')!;

function showError(element: HTMLElement, error: unknown): void {
  element.textContent = describeError(error);
  element.hidden = false;
}
function clearError(element: HTMLElement): void {
  element.textContent = '';
  element.hidden = true;
}

function describeError(error: unknown): string {
  if (!(error instanceof SignoffError)) return 'The server could not be reached. Try again.';
  switch (error.code) {
    case 'INVALID_CREDENTIALS':
      return 'That email and password do not match.';
    case 'INVALID_CONFIRMATION':
      return 'That was not right. Try again.';
    case 'RATE_LIMITED': {
      const seconds = Number(error.extensions.retryAfterSeconds);
      return Number.isFinite(seconds) ? `Too many attempts. Try again in ${Math.max(1, Math.ceil(seconds / 60))} minute(s).` : 'Too many attempts. Try again later.';
    }
    case 'UNAUTHENTICATED':
      return 'You are signed out.';
    default:
      return error.message;
  }
}

// ---- time ----

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
function ago(iso: string): string {
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  if (Math.abs(seconds) < 45) return 'just now';
  const steps: [Intl.RelativeTimeFormatUnit, number][] = [
    ['minute', 60],
    ['hour', 3600],
    ['day', 86400],
    ['month', 2592000],
    ['year', 31536000],
  ];
  let unit: Intl.RelativeTimeFormatUnit = 'minute';
  let size = 60;
  for (const [name, length] of steps) if (Math.abs(seconds) >= length) [unit, size] = [name, length];
  return relative.format(Math.round(seconds / size), unit);
}
const dateTime = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });
const formatDate = (iso: string) => dateTime.format(new Date(iso));

function place(location: { city?: string | null; region?: string | null; country?: string | null }): string | null {
  const parts = [location.city, location.country ?? location.region].filter((part): part is string => Boolean(part));
  return parts.length ? parts.join(', ') : null;
}

// ---- state ----

let client: SignoffClient | undefined;
let me: MeQuery['me'] | undefined;
let sessions: DeviceSessionFragment[] = [];
let ownLogout = false;
let auditCursor: string | null = null;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (text !== undefined) element.textContent = text;
  if (className) element.className = className;
  return element;
}

// ---- views ----

function showSignIn(notice?: string): void {
  $('devices-view').hidden = true;
  $('sign-in-view').hidden = false;
  const box = $('signed-out-notice');
  box.textContent = notice ?? '';
  box.hidden = !notice;
  $<HTMLInputElement>('sign-in-password').value = '';
  $<HTMLInputElement>('sign-in-code').value = '';
  $('sign-in-code-row').hidden = true;
  clearError(errorIn($('sign-in-form')));
  const dialog = $<HTMLDialogElement>('confirm-dialog');
  if (dialog.open) dialog.close();
  if (location.pathname !== '/') history.replaceState(null, '', '/');
  document.title = 'Sign in · signoff';
  $<HTMLInputElement>(notice ? 'sign-in-password' : 'sign-in-email').focus();
}

function signedOutNotice(event: SignedOutEvent): string {
  const by = event.terminatedBy;
  const where = by ? [by.device.label, place(by.location) ? `in ${place(by.location)}` : `at ${by.ipAddress}`].join(' ') : null;
  switch (event.reason) {
    case 'PASSWORD_CHANGED':
      return `You were signed out because the password was changed${where ? ` from ${where}` : ''}. Sign in with the new password.`;
    case 'PASSWORD_RESET':
      return 'You were signed out because the password was reset. Sign in with the new password.';
    case 'EXPIRED':
      return 'You were signed out because this session expired. Sign in again.';
    case 'REPORTED_UNRECOGNIZED':
      return 'You were signed out because this sign-in was reported as not recognised.';
    case 'UNAUTHORIZED':
      return 'You were signed out. Sign in again.';
    default:
      return where ? `You were signed out from ${where}.` : 'You were signed out from another device.';
  }
}

/** The session ended (remotely or here): drop the token and return to sign-in at once, no reload. */
function endSession(event: SignedOutEvent | null): void {
  sessionStorage.removeItem(TOKEN_KEY);
  const ending = client;
  client = undefined;
  me = undefined;
  sessions = [];
  void ending?.dispose();
  const quiet = event === null || (ownLogout && event.reason === 'LOGOUT');
  ownLogout = false;
  showSignIn(quiet ? undefined : signedOutNotice(event));
}

async function startSession(token: string): Promise<void> {
  const next = createSignoffClient({
    url: API_URL,
    token,
    // After a reconnect (an instance restarting), refetch what may have changed meanwhile.
    on: { connected: () => void refreshSessions() },
  });
  client = next;
  next.onSignedOut((event) => {
    if (client === next) endSession(event);
  });
  next.subscribe(SessionsChangedDocument, undefined, { next: () => void refreshSessions() });
  try {
    me = (await next.request(MeDocument)).me;
  } catch (err) {
    if (client === next && !next.signedOut) throw err;
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('account-email').textContent = me.email;
  $('sign-in-view').hidden = true;
  $('devices-view').hidden = false;
  document.title = 'Your devices · signoff';
  renderTwoFactor();
  await Promise.all([refreshSessions(), loadAudit(true)]);
  if (location.pathname === '/security') $('security').scrollIntoView();
}

// ---- sign-in ----

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  const error = errorIn(form);
  clearError(error);
  const codeRow = $('sign-in-code-row');
  const otp = codeRow.hidden ? undefined : $<HTMLInputElement>('sign-in-code').value.trim();
  const button = form.querySelector('button')!;
  button.disabled = true;
  try {
    const result = await login({
      url: API_URL,
      email: $<HTMLInputElement>('sign-in-email').value.trim(),
      password: $<HTMLInputElement>('sign-in-password').value,
      ...(otp ? { otp } : {}),
    });
    $('signed-out-notice').hidden = true;
    await startSession(result.token);
  } catch (err) {
    if (err instanceof SignoffError && err.code === 'TWO_FACTOR_REQUIRED') {
      codeRow.hidden = false;
      $<HTMLInputElement>('sign-in-code').focus();
      if (otp) showError(error, err);
    } else showError(error, err);
  } finally {
    button.disabled = false;
  }
});

// ---- devices ----

async function refreshSessions(): Promise<void> {
  const current = client;
  if (!current) return;
  try {
    const result = await current.request(SessionsDocument);
    if (client !== current) return;
    sessions = result.sessions;
    clearError($('devices-error'));
    renderSessions();
  } catch (err) {
    if (client === current && !current.signedOut) showError($('devices-error'), err);
  }
}

function renderSessions(): void {
  const list = $('devices');
  const items = sessions.map((session) => {
    const item = el('li');
    item.dataset.sessionId = session.id;
    if (session.current) item.classList.add('current');
    const name = el('div', session.device.label, 'name');
    if (session.current) name.append(el('span', 'This device', 'badge this'));
    if (session.flags.includes('NEW_DEVICE')) name.append(el('span', 'New device', 'badge warn'));
    if (session.flags.includes('NEW_LOCATION')) name.append(el('span', 'New location', 'badge warn'));
    const software = [session.device.browser, session.device.os].filter(Boolean).join(' · ') || 'Unknown browser';
    const times = el('div', activityText(session), 'meta times');
    item.append(name, el('div', software, 'meta'), el('div', `${place(session.location) ?? 'Unknown location'} · IP ${session.ipAddress}`, 'meta'), times);
    if (!session.current) {
      const button = el('button', 'Sign out', 'secondary');
      button.type = 'button';
      button.setAttribute('aria-description', `Sign out ${session.device.label}`);
      button.addEventListener('click', () => signOutDevice(session));
      item.append(button);
    }
    return item;
  });
  list.replaceChildren(...items);
  $<HTMLButtonElement>('sign-out-others').disabled = !sessions.some((session) => !session.current);
}

function activityText(session: DeviceSessionFragment): string {
  return `Signed in ${formatDate(session.createdAt)} · last active ${session.current ? 'now' : ago(session.lastActiveAt)}`;
}

function signOutDevice(session: DeviceSessionFragment): void {
  const where = place(session.location);
  confirmAction({
    title: `Sign out ${session.device.label}?`,
    warning: `${session.device.label}${where ? ` in ${where}` : ''} will be signed out at once and will need the password to sign in again.`,
    run: async (confirmation) => {
      await client!.request(RevokeSessionDocument, { id: session.id, ...(confirmation ? { confirmation } : {}) });
      await refreshSessions();
    },
  });
}

$('sign-out-others').addEventListener('click', () => {
  const others = sessions.filter((session) => !session.current).length;
  confirmAction({
    title: 'Sign out of all other devices?',
    warning: `${others === 1 ? 'The other device' : `All ${others} other devices`} will be signed out at once and will need the password to sign in again. This device stays signed in.`,
    run: async (confirmation) => {
      await client!.request(RevokeOtherSessionsDocument, confirmation ? { confirmation } : {});
      await refreshSessions();
    },
  });
});

$('logout').addEventListener('click', async () => {
  const current = client;
  if (!current) return;
  ownLogout = true;
  try {
    await current.request(LogoutDocument);
  } catch {
    // Signed out already, or unreachable: either way this tab forgets the token.
  }
  if (client === current) endSession(null);
});

// Keep "last active" honest without refetching, and without rebuilding the list under the pointer.
setInterval(() => {
  for (const session of sessions) {
    const line = document.querySelector(`li[data-session-id="${CSS.escape(session.id)}"] .times`);
    if (line) line.textContent = activityText(session);
  }
}, 30_000);

// ---- confirmation dialog (step-up) ----

type Method = 'PASSWORD' | 'TOTP' | 'EMAIL_CODE';
const METHOD_LABELS: Record<Method, string> = { PASSWORD: 'Password', TOTP: 'Authenticator or recovery code', EMAIL_CODE: 'Emailed code' };

interface PendingAction {
  title: string;
  warning: string;
  /** Called without a confirmation first; again with one after STEP_UP_REQUIRED. */
  run(confirmation: ConfirmationInput | undefined): Promise<void>;
  /** Ask for a confirmation before the first try (the action always needs one). */
  askFirst?: Method[];
}
let pending: PendingAction | undefined;

function confirmAction(action: PendingAction): void {
  pending = action;
  $('confirm-title').textContent = action.title;
  $('confirm-warning').textContent = action.warning;
  clearError(errorIn($('confirm-form')));
  $('confirm-step-up').hidden = true;
  if (action.askFirst) askForConfirmation(action.askFirst);
  const dialog = $<HTMLDialogElement>('confirm-dialog');
  dialog.showModal();
  if (!action.askFirst) $('confirm-submit').focus();
}

function askForConfirmation(methods: Method[]): void {
  const select = $<HTMLSelectElement>('confirm-method');
  select.replaceChildren(
    ...methods.map((method) => {
      const option = el('option', METHOD_LABELS[method]);
      option.value = method;
      return option;
    }),
  );
  $('confirm-methods').hidden = methods.length < 2;
  selectMethod(methods[0] ?? 'PASSWORD');
  $('confirm-step-up').hidden = false;
  $<HTMLInputElement>('confirm-secret').focus();
}

function selectMethod(method: Method): void {
  $<HTMLSelectElement>('confirm-method').value = method;
  const input = $<HTMLInputElement>('confirm-secret');
  input.value = '';
  input.type = method === 'PASSWORD' ? 'password' : 'text';
  input.autocomplete = method === 'PASSWORD' ? 'current-password' : 'one-time-code';
  $('confirm-secret-label').textContent = method === 'PASSWORD' ? 'Password' : 'Code';
  const hint = $('confirm-hint');
  hint.hidden = method !== 'EMAIL_CODE';
  if (method === 'EMAIL_CODE') {
    hint.textContent = 'Sending a code to your email…';
    client
      ?.request(RequestConfirmationCodeDocument)
      .then(() => void (hint.textContent = 'We emailed you a code. It works for 10 minutes.'))
      .catch((err: unknown) => void (hint.textContent = describeError(err)));
  }
}

$('confirm-method').addEventListener('change', (event) => selectMethod((event.target as HTMLSelectElement).value as Method));
$('confirm-cancel').addEventListener('click', () => $<HTMLDialogElement>('confirm-dialog').close());

$('confirm-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const action = pending;
  if (!action || !client) return;
  const error = errorIn($('confirm-form'));
  clearError(error);
  let confirmation: ConfirmationInput | undefined;
  if (!$('confirm-step-up').hidden) {
    const secret = $<HTMLInputElement>('confirm-secret').value;
    const method = $<HTMLSelectElement>('confirm-method').value as Method;
    if (!secret) return showError(error, new SignoffError(`Enter your ${METHOD_LABELS[method].toLowerCase()}.`, { code: 'BAD_USER_INPUT' }));
    confirmation = method === 'PASSWORD' ? { password: secret } : method === 'TOTP' ? { otp: secret.trim() } : { emailCode: secret.trim() };
  }
  const submit = $<HTMLButtonElement>('confirm-submit');
  submit.disabled = true;
  try {
    await action.run(confirmation);
    if (pending === action) {
      pending = undefined;
      $<HTMLDialogElement>('confirm-dialog').close();
    }
  } catch (err) {
    if (err instanceof SignoffError && err.code === 'STEP_UP_REQUIRED') {
      const methods = (Array.isArray(err.extensions.methods) ? err.extensions.methods : ['PASSWORD']) as Method[];
      // The page's own warning names the device and place; the server's `warning` is for clients without one.
      if ($('confirm-step-up').hidden) askForConfirmation(methods);
      else showError(error, err);
    } else showError(error, err);
  } finally {
    submit.disabled = false;
  }
});

// ---- security: password ----

$('password-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  const error = errorIn(form);
  const done = form.querySelector<HTMLElement>('.done')!;
  clearError(error);
  done.hidden = true;
  const signOutOthers = $<HTMLInputElement>('sign-out-others-on-change').checked;
  try {
    await client!.request(ChangePasswordDocument, {
      currentPassword: $<HTMLInputElement>('current-password').value,
      newPassword: $<HTMLInputElement>('new-password').value,
      signOutOtherSessions: signOutOthers,
    });
    form.reset();
    $<HTMLInputElement>('sign-out-others-on-change').checked = true;
    done.textContent = signOutOthers ? 'Password changed. Your other devices were signed out.' : 'Password changed.';
    done.hidden = false;
    await Promise.all([refreshSessions(), loadAudit(true)]);
  } catch (err) {
    showError(error, err);
  }
});

// ---- security: two-factor ----

function renderTwoFactor(): void {
  const on = me?.twoFactorEnabled ?? false;
  $('two-factor-state').textContent = on ? 'On: signing in needs a code from your authenticator app.' : 'Off: signing in needs only your password.';
  $('two-factor-on').hidden = on;
  $('two-factor-off').hidden = !on;
}

$('two-factor-on').addEventListener('click', () => {
  clearError($('two-factor-error'));
  confirmAction({
    title: 'Turn on two-factor sign-in?',
    warning: 'You will scan a key with your authenticator app. Nothing changes until you enter a code from it.',
    run: async (confirmation) => {
      const { beginTotpSetup } = await client!.request(BeginTotpSetupDocument, confirmation ? { confirmation } : {});
      // Rendered here, from the otpauth URL: the key never leaves this page for a QR service.
      $<HTMLImageElement>('totp-qr').src = await toDataURL(beginTotpSetup.otpauthUrl, { margin: 1, width: 200 });
      $('totp-secret').textContent = beginTotpSetup.secret;
      $('totp-setup').hidden = false;
      $('recovery-codes').hidden = true;
      $('two-factor-on').hidden = true;
      $<HTMLInputElement>('totp-code').focus();
    },
  });
});

$('totp-confirm-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  const error = errorIn(form);
  clearError(error);
  try {
    const { confirmTotpSetup } = await client!.request(ConfirmTotpSetupDocument, { code: $<HTMLInputElement>('totp-code').value.trim() });
    form.reset();
    $('totp-setup').hidden = true;
    $('recovery-code-list').replaceChildren(...confirmTotpSetup.map((code) => el('li', code)));
    $('recovery-codes').hidden = false;
    if (me) me = { ...me, twoFactorEnabled: true };
    renderTwoFactor();
    await loadAudit(true);
  } catch (err) {
    showError(error, err);
  }
});

$('two-factor-off').addEventListener('click', () => {
  clearError($('two-factor-error'));
  confirmAction({
    title: 'Turn off two-factor sign-in?',
    warning: 'Signing in will need only your password. Your recovery codes stop working.',
    askFirst: ['PASSWORD', 'TOTP', 'EMAIL_CODE'],
    run: async (confirmation) => {
      await client!.request(DisableTotpDocument, { confirmation: confirmation ?? {} });
      if (me) me = { ...me, twoFactorEnabled: false };
      $('recovery-codes').hidden = true;
      renderTwoFactor();
      await loadAudit(true);
    },
  });
});

// ---- security: audit log ----

const EVENT_LABELS: Record<string, string> = {
  LOGIN: 'Signed in',
  LOGIN_FAILED: 'Failed sign-in',
  LOGOUT: 'Signed out',
  SESSION_REVOKED: 'Signed a device out',
  OTHER_SESSIONS_REVOKED: 'Signed out all other devices',
  PASSWORD_CHANGED: 'Changed the password',
  PASSWORD_RESET: 'Reset the password',
  TWO_FACTOR_ENABLED: 'Turned on two-factor',
  TWO_FACTOR_DISABLED: 'Turned off two-factor',
  UNRECOGNIZED_SESSION_REPORTED: 'Reported a sign-in as not recognised',
  SESSION_EXPIRED: 'A session expired',
  CONFIRMATION_FAILED: 'Wrong confirmation',
  ACCOUNT_RECLAIMED: 'Address claimed by its owner',
};

const AUDIT_PAGE_SIZE = 10;

async function loadAudit(fromStart: boolean): Promise<void> {
  const current = client;
  if (!current) return;
  let page: AuditLogQuery['auditLog'];
  try {
    page = (await current.request(AuditLogDocument, { first: AUDIT_PAGE_SIZE, ...(fromStart || !auditCursor ? {} : { after: auditCursor }) })).auditLog;
  } catch {
    return; // the list above shows the failure; activity can wait for the next refresh
  }
  if (client !== current) return;
  const rows = page.edges.map(({ node }) => {
    const row = el('tr');
    const when = el('td');
    const time = el('time', ago(node.at));
    time.dateTime = node.at;
    time.title = formatDate(node.at);
    when.append(time);
    row.append(when, el('td', EVENT_LABELS[node.type] ?? node.type), el('td', node.deviceLabel), el('td', `${place(node.location) ?? 'Unknown location'} · ${node.ipAddress}`));
    return row;
  });
  const body = $('audit-rows');
  if (fromStart) body.replaceChildren(...rows);
  else body.append(...rows);
  auditCursor = page.pageInfo.endCursor;
  $('audit-more').hidden = !page.pageInfo.hasNextPage;
}

$('audit-more').addEventListener('click', () => void loadAudit(false));

// ---- start ----

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) {
  startSession(saved).catch(() => endSession(null));
} else {
  showSignIn();
}
