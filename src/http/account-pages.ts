import type { Express, Response } from 'express';
import { setPagePolicy, type PagePolicy } from './security-headers';

/**
 * The pages emails link to (PUBLIC_URL/report-sign-in, /reset-password and /verify-email), for
 * deployments without a frontend of their own. Opening a link changes nothing: mail scanners
 * follow links, so every action waits for the person to press a button.
 */
const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}
button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:.4rem;background:#1f4fd6;color:#fff;cursor:pointer}
input{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;margin:.3rem 0 1rem}
.error{color:#b00020}.done{color:#0a7d32}`;

const SCRIPT = `
const token = new URLSearchParams(location.search).get('token') || '';
async function call(query, variables) {
  const res = await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  if (body.errors) throw new Error(body.errors[0].message);
  return body.data;
}
function show(id) { for (const s of document.querySelectorAll('section')) s.hidden = s.id !== id; }
function fail(el, err) { el.textContent = err.message; }
async function setPassword(resetToken, form) {
  const msg = form.querySelector('.error');
  try {
    await call('mutation($t:String!,$p:String!){resetPassword(token:$t,newPassword:$p)}', { t: resetToken, p: form.password.value });
    show('finished');
  } catch (err) { fail(msg, err); }
}`;

interface Page {
  html: string;
  /** Its one inline script and style, by hash; nothing else may run or apply. */
  policy: PagePolicy;
}

function page(title: string, body: string, script: string): Page {
  const inlineScript = SCRIPT + script;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${title}</title><style>${STYLE}</style></head><body>${body}
<section id="finished" hidden><h1>Your new password is set</h1><p class="done">Every device that was signed in has been signed out. Sign in again with the new password.</p></section>
<script>${inlineScript}</script></body></html>`;
  return { html, policy: { inlineScripts: [inlineScript], inlineStyles: [STYLE], connect: true } };
}

const PASSWORD_FORM = (id: string) => `<form id="${id}"><label>New password (8 to 128 characters)
<input name="password" type="password" minlength="8" maxlength="128" autocomplete="new-password" required></label>
<p class="error"></p><button>Set the new password</button></form>`;

const REPORT_PAGE = page(
  'Sign out a device you do not recognise',
  `<section id="ask"><h1>Wasn't you?</h1><p>This signs out the device from the sign-in alert you received, and only that device.
Then you can set a new password at once.</p><p class="error"></p><button id="report">Sign that device out</button></section>
<section id="reset" hidden><h1>The device is signed out</h1><p>Now choose a new password, so whoever signed in cannot do it again.</p>${PASSWORD_FORM('new-password')}</section>`,
  `
let resetToken = '';
document.getElementById('report').onclick = async () => {
  try {
    resetToken = (await call('mutation($t:String!){reportUnrecognizedSession(token:$t)}', { t: token })).reportUnrecognizedSession;
    show('reset');
  } catch (err) { fail(document.querySelector('#ask .error'), err); }
};
document.getElementById('new-password').onsubmit = (e) => { e.preventDefault(); setPassword(resetToken, e.target); };`,
);

const RESET_PAGE = page(
  'Choose a new password',
  `<section id="reset"><h1>Choose a new password</h1><p>Setting it signs out every device signed in to your account.</p>${PASSWORD_FORM('new-password')}</section>`,
  `document.getElementById('new-password').onsubmit = (e) => { e.preventDefault(); setPassword(token, e.target); };`,
);

const VERIFY_PAGE = page(
  'Confirm your email address',
  `<section id="ask"><h1>Confirm your email address</h1><p>This confirms that the account registered with this address is yours.
If an account that never confirmed the address holds it, that account is signed out everywhere and loses the address.</p>
<p class="error"></p><button id="verify">Confirm my address</button></section>
<section id="verified" hidden><h1>Your address is confirmed</h1><p class="done">Sign in with this address and the password you registered with.</p></section>`,
  `
document.getElementById('verify').onclick = async () => {
  try {
    await call('mutation($t:String!){verifyEmail(token:$t)}', { t: token });
    show('verified');
  } catch (err) { fail(document.querySelector('#ask .error'), err); }
};`,
);

export function mountAccountPages(app: Express): void {
  const send =
    ({ html, policy }: Page) =>
    (_req: unknown, res: Response) => {
      // Tokens ride in the query string: keep the page out of caches (securityHeaders keeps it out of Referer headers).
      setPagePolicy(res, policy);
      res.set('Cache-Control', 'no-store').type('html').send(html);
    };
  app.get('/report-sign-in', send(REPORT_PAGE));
  app.get('/reset-password', send(RESET_PAGE));
  app.get('/verify-email', send(VERIFY_PAGE));
}
