import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { LoginDocument, LogoutDocument } from '../generated/graphql';
import { accountWithDevices, PASSWORD } from '../support/accounts';
import { dataOf, DEVICES, graphql } from '../support/client';
import { launchChromium } from '../support/browser';
import { startCluster, type TestCluster } from '../support/cluster';

/**
 * The devices page in a real browser (Debian's Chromium driven by playwright-core): two devices of
 * one account, one signs the other out through the confirmation dialog, and the other sees it at
 * once, without a reload. Set SAVE_SCREENSHOTS=1 to rewrite the README's screenshots in docs/.
 */

// The functions given to page.evaluate run in the browser; this file compiles without the DOM library.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
declare const sessionStorage: { length: number };
declare const localStorage: { length: number };
declare const MutationObserver: any;

const ROOT = join(__dirname, '..', '..');
const GB_IP = '81.2.69.142';
const US_IP = '8.8.8.8';

/** Builds the page when dist/web is missing or older than its sources (npm run build does it too). */
function buildPageIfStale(): void {
  const built = join(ROOT, 'dist', 'web', 'index.html');
  const newest = (folder: string): number =>
    readdirSync(folder, { withFileTypes: true }).reduce((latest, entry) => {
      const path = join(folder, entry.name);
      return Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }, 0);
  const sources = Math.max(newest(join(ROOT, 'web')), newest(join(ROOT, 'client', 'src')));
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  const run = spawnSync('npm', ['run', 'build:web', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`vite build failed:\n${run.stdout}\n${run.stderr}`);
}

/**
 * What went wrong in a page: script errors, console errors (CSP refusals among them: a page that
 * needs more than its policy allows fails here) and failed responses. The browser's own
 * /favicon.ico probe is not the page's doing.
 */
function pageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('response', (response) => {
    if (response.status() >= 400 && new URL(response.url()).pathname !== '/favicon.ico') problems.push(`${response.status()} ${response.url()}`);
  });
  return problems;
}

function fetchRaw(url: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { accept: 'text/html' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    }).on('error', reject);
  });
}

async function signIn(page: Page, base: string, email: string): Promise<void> {
  await page.goto(base);
  // By role and name: only what is shown counts (the dialog's hidden Password field does not).
  await page.getByRole('textbox', { name: 'Email', exact: true }).fill(email);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('list', { name: 'Signed-in devices' }).waitFor();
}

describe('the devices page in a browser', () => {
  let cluster: TestCluster;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    buildPageIfStale();
    // Every confirmation is asked for (window 0), so the dialog's password step always runs;
    // a proxy on loopback lets each browser context come from its own public address.
    cluster = await startCluster({ env: { STEP_UP_WINDOW_SECONDS: '0', TRUST_PROXY: 'loopback' } });
    base = cluster.url.replace(/\/graphql$/, '');
    browser = await launchChromium();
  }, 120_000);

  // Each test's browsers go, and their subscriptions with them, so the next test's waitForSubscribers counts only its own.
  afterEach(async () => {
    for (const context of contexts.splice(0)) cluster.track({ dispose: () => context.close().catch(() => {}) });
    await cluster.drain();
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.dispose();
  });

  async function device(userAgent: string, ip: string, viewport: { width: number; height: number }): Promise<Page> {
    const context = await browser.newContext({ userAgent, viewport, extraHTTPHeaders: { 'X-Forwarded-For': ip }, locale: 'en-GB', timezoneId: 'Europe/London' });
    contexts.push(context);
    return context.newPage();
  }

  it('signs another device out through the dialog with the password; that page shows who did it and the sign-in form at once, without a reload', async () => {
    const url = cluster.url;
    // An account whose registration device signed out again, so the two browsers are its only sessions.
    const { email, signIns } = await accountWithDevices(url, [DEVICES.chromeOnPixel]);
    dataOf(await graphql(url, LogoutDocument, {}, { token: signIns[0]!.token, device: DEVICES.chromeOnPixel }));

    const pageA = await device(DEVICES.chromeOnWindows.userAgent, GB_IP, { width: 960, height: 900 });
    const pageB = await device(DEVICES.safariOnIphone.userAgent, US_IP, { width: 430, height: 760 });
    const errorsA = pageProblems(pageA);
    const errorsB = pageProblems(pageB);

    await signIn(pageA, base, email);
    await signIn(pageB, base, email);
    const listA = pageA.getByRole('list', { name: 'Signed-in devices' });
    // A learned of B's sign-in live (sessionsChanged), without reloading.
    await listA.getByRole('listitem').nth(1).waitFor();
    expect(await listA.getByRole('listitem').count()).toBe(2);
    const itemB = listA.getByRole('listitem').filter({ hasNotText: 'This device' });
    await expect(itemB.textContent()).resolves.toContain('Safari on iOS');
    expect(await listA.getByRole('listitem').filter({ hasText: 'This device' }).getByRole('button', { name: 'Sign out', exact: true }).count()).toBe(0);
    // Both pages hold sessionTerminated and sessionsChanged, so the ending cannot race B's subscription.
    await cluster.waitForSubscribers(4);

    if (process.env.SAVE_SCREENSHOTS) {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      await pageA.screenshot({ path: join(ROOT, 'docs', 'devices-page.png'), fullPage: true });
    }

    // A reload would lose this marker and count as a navigation.
    await pageB.evaluate(() => (window.stillTheSamePage = true));
    let navigationsB = 0;
    pageB.on('framenavigated', () => navigationsB++);
    // When B's notice appears, by B's clock (same machine as A's).
    const noticeShownAt = pageB.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const notice = document.getElementById('signed-out-notice');
          new MutationObserver(() => {
            if (!notice.hidden) resolve(Date.now());
          }).observe(notice, { attributes: true, attributeFilter: ['hidden'] });
        }),
    );

    await itemB.getByRole('button', { name: 'Sign out', exact: true }).click();
    const dialog = pageA.getByRole('dialog');
    await expect(dialog.textContent()).resolves.toContain('will need the password to sign in again');
    // The server answers STEP_UP_REQUIRED; the dialog then asks for the password.
    await dialog.getByRole('button', { name: 'Confirm', exact: true }).click();
    await dialog.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    const confirmedAt = Date.now();
    const revoked = pageA.waitForResponse(
      async (response) => (response.request().postData() ?? '').includes('RevokeSession') && (await response.text()).includes('"revokedCount":1'),
    );
    await dialog.getByRole('button', { name: 'Confirm', exact: true }).click();
    const answeredAt = await revoked.then(() => Date.now());

    const shownAt = await noticeShownAt;
    const notice = pageB.getByRole('alert').filter({ hasText: /^You were signed out/ });
    await notice.waitFor({ timeout: 2000 });
    expect(await notice.textContent()).toMatch(/^You were signed out from Chrome on Windows in .*United Kingdom/);
    await expect(pageB.getByRole('button', { name: 'Sign in', exact: true }).isVisible()).resolves.toBe(true);
    await expect(pageB.getByRole('textbox', { name: 'Email', exact: true }).isVisible()).resolves.toBe(true);
    await expect(pageB.getByRole('list', { name: 'Signed-in devices' }).isVisible()).resolves.toBe(false);
    // The press also pays for argon2 checking the password, which a loaded machine slows: the
    // one-second bound runs from A's answer (the server publishes the ending before answering, so
    // B usually shows it first), with a generous bound from the press.
    console.log(`B showed the signed-out notice ${shownAt - confirmedAt} ms after A pressed Confirm (${shownAt - answeredAt} ms after A's answer arrived)`);
    expect(shownAt - answeredAt).toBeLessThan(1000);
    expect(shownAt - confirmedAt).toBeLessThan(5000);
    expect(await pageB.evaluate(() => window.stillTheSamePage)).toBe(true);
    expect(navigationsB).toBe(0);
    // B forgot the token: nothing of it is left for the next person at this tab.
    expect(await pageB.evaluate(() => sessionStorage.length)).toBe(0);

    // A's list dropped B, and the dialog closed.
    await listA.getByRole('listitem').nth(1).waitFor({ state: 'detached' });
    expect(await listA.getByRole('listitem').count()).toBe(1);
    await dialog.waitFor({ state: 'hidden' });

    if (process.env.SAVE_SCREENSHOTS) await pageB.screenshot({ path: join(ROOT, 'docs', 'signed-out-notice.png') });
    expect(errorsA).toEqual([]);
    expect(errorsB).toEqual([]);
  }, 60_000);

  it('turns two-factor on from the page with a locally drawn QR code, signs the others out, and then asks for the Code at sign-in; the activity pages back; a reload stays signed in without localStorage', async () => {
    const url = cluster.url;
    const { email } = await accountWithDevices(url, [DEVICES.chromeOnPixel]);
    // Eleven more sign-ins elsewhere: more activity than one page of it, and devices to sign out.
    for (let i = 0; i < 11; i++) dataOf(await graphql(url, LoginDocument, { input: { email, password: PASSWORD } }, { device: DEVICES.safariOnIphone }));
    const page = await device(DEVICES.firefoxOnMac.userAgent, GB_IP, { width: 960, height: 900 });
    const problems = pageProblems(page);
    await signIn(page, `${base}/security`, email);
    const list = page.getByRole('list', { name: 'Signed-in devices' });
    await list.getByRole('listitem').nth(12).waitFor();

    // Activity: ten rows, then older ones on request.
    const rows = page.locator('#audit-rows tr');
    await rows.nth(9).waitFor();
    expect(await rows.count()).toBe(10);
    await page.getByRole('button', { name: 'Show older activity' }).click();
    await rows.nth(10).waitFor();
    expect(await rows.count()).toBeGreaterThan(10);

    // Two-factor on: the dialog asks for the password (window 0), then the page draws the QR code itself.
    await page.getByRole('button', { name: 'Turn on two-factor' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Confirm', exact: true }).click();
    await dialog.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm', exact: true }).click();
    const qr = page.getByRole('img', { name: 'QR code of the two-factor key' });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    expect(await qr.evaluate((image: any) => image.naturalWidth)).toBeGreaterThan(100);
    const secret = (await page.locator('#totp-secret').textContent())!;
    await page.getByRole('textbox', { name: 'Code from the app' }).fill(await generate({ secret }));
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    const recoveryCodes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await recoveryCodes.first().waitFor();
    const firstRecoveryCode = (await recoveryCodes.first().textContent())!;
    expect(await page.locator('#two-factor-state').textContent()).toMatch(/^On/);

    // Sign out of all other devices: an app enrolled minutes ago cannot confirm it, the password can.
    await page.getByRole('button', { name: 'Sign out of all other devices' }).click();
    await dialog.getByRole('button', { name: 'Confirm', exact: true }).click();
    await dialog.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    const methods = await dialog.getByRole('combobox', { name: 'Confirm with' }).locator('option').allTextContents();
    expect(methods).toEqual(['Password', 'Emailed code']);
    await dialog.getByRole('button', { name: 'Confirm', exact: true }).click();
    await list.getByRole('listitem').nth(1).waitFor({ state: 'detached' });
    expect(await list.getByRole('listitem').count()).toBe(1);

    // Signing out here shows no alert; signing in again needs the second factor.
    await page.getByRole('button', { name: 'Sign out of this device' }).click();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expect(
      await page
        .getByRole('alert')
        .filter({ hasText: /^You were signed out/ })
        .count(),
    ).toBe(0);
    await page.getByRole('textbox', { name: 'Email', exact: true }).fill(email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('textbox', { name: 'Code', exact: true }).fill(firstRecoveryCode);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await list.getByRole('listitem').first().waitFor();
    expect(await list.getByRole('listitem').count()).toBe(1);

    // The token is in this tab's sessionStorage: a reload stays signed in (no forgotten session
    // left behind), and nothing is in localStorage for other tabs or later visitors.
    await page.reload();
    await list.getByRole('listitem').first().waitFor();
    expect(await list.getByRole('listitem').count()).toBe(1);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(problems).toEqual([]);
  }, 90_000);

  it('changing the password from one page signs the other page out, saying why', async () => {
    const url = cluster.url;
    const { email } = await accountWithDevices(url, [DEVICES.chromeOnPixel]);
    const pageA = await device(DEVICES.firefoxOnMac.userAgent, GB_IP, { width: 960, height: 900 });
    const pageB = await device(DEVICES.safariOnIphone.userAgent, US_IP, { width: 430, height: 760 });
    const problems = [pageProblems(pageA), pageProblems(pageB)];
    await signIn(pageA, base, email);
    await signIn(pageB, base, email);
    await cluster.waitForSubscribers(4);

    const newPassword = 'violet ferry lantern 42 quietly';
    await pageA.getByRole('textbox', { name: 'Current password' }).fill(PASSWORD);
    await pageA.getByRole('textbox', { name: 'New password' }).fill(newPassword);
    await pageA.getByRole('button', { name: 'Change password' }).click();
    await pageA.getByRole('status').filter({ hasText: 'Password changed. Your other devices were signed out.' }).waitFor();

    const notice = pageB.getByRole('alert').filter({ hasText: /^You were signed out/ });
    await notice.waitFor({ timeout: 5000 });
    expect(await notice.textContent()).toMatch(/^You were signed out because the password was changed from Firefox on macOS in .*United Kingdom/);
    // A's list keeps only A (the registration device was signed out too).
    const listA = pageA.getByRole('list', { name: 'Signed-in devices' });
    await listA.getByRole('listitem').nth(1).waitFor({ state: 'detached' });
    expect(await listA.getByRole('listitem').count()).toBe(1);
    expect(problems).toEqual([[], []]);
  }, 60_000);

  it('serves the page at / and at /security (the address alert emails name) under a policy that allows only its own files', async () => {
    for (const path of ['/', '/security']) {
      const page = await fetchRaw(`${base}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('aria-label="Signed-in devices"');
      // No inline code at all: the policy lists no hashes and no 'unsafe-inline'.
      expect(page.body).not.toMatch(/<script>|<style>|\sstyle=|\son[a-z]+=/);
      const csp = new Map(
        String(page.headers['content-security-policy'])
          .split(';')
          .map((part) => part.trim().split(/\s+/))
          .map(([name, ...sources]) => [name!, sources] as const),
      );
      const host = new URL(base).host;
      expect(csp.get('default-src')).toEqual(["'none'"]);
      expect(csp.get('script-src')).toEqual(["'self'"]);
      expect(csp.get('style-src')).toEqual(["'self'"]);
      expect(csp.get('img-src')).toEqual(["'self'", 'data:']);
      expect(csp.get('connect-src')).toEqual(["'self'", `ws://${host}`, `wss://${host}`]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(page.headers['cache-control']).toBe('no-store');
    }
    const page = await fetchRaw(`${base}/`);
    const assets = [...page.body.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.some((asset) => asset.endsWith('.js'))).toBe(true);
    expect(assets.some((asset) => asset.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const file = await fetchRaw(`${base}${asset}`);
      expect(file.status).toBe(200);
      expect(file.headers['cache-control']).toMatch(/immutable/);
    }
    expect((await fetchRaw(`${base}/assets/nothing-here.js`)).status).toBe(404);
  });

  it('GraphiQL at GET /graphql loads and runs `me` with the token from its Headers tab', async () => {
    const url = cluster.url;
    const { email, signIns } = await accountWithDevices(url, [DEVICES.firefoxOnMac]);
    const page = await device(DEVICES.firefoxOnMac.userAgent, GB_IP, { width: 1200, height: 800 });
    const errors = pageProblems(page);
    await page.goto(url);
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
    // GraphiQL's editors are CodeMirror instances: set their text as typing would.
    await page.evaluate(() => {
      document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('query Me { me { email twoFactorEnabled } }');
    });
    await page.getByRole('button', { name: 'Headers', exact: true }).click();
    const headers = page.locator('.graphiql-editor-tool .CodeMirror:visible');
    await headers.click();
    await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${signIns[0]!.token}` }));
    await page.getByRole('button', { name: /Execute query/ }).click();
    const response = page.locator('.graphiql-response .CodeMirror');
    await page
      .waitForFunction((expected) => document.querySelector('.graphiql-response')?.textContent?.includes(expected), email, { timeout: 10_000 })
      .catch(async (err) => {
        await page.screenshot({ path: '/tmp/graphiql-failure.png' });
        throw new Error(`${err}\nresponse pane: ${await response.textContent().catch(() => '?')}\nconsole: ${errors.join('\n')}`);
      });
    expect(await response.textContent()).toContain('"twoFactorEnabled": false');
    expect(errors).toEqual([]);
  }, 60_000);
});
