import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { RevokeSessionDocument } from '../generated/graphql';
import { accountWithDevices } from '../support/accounts';
import { dataOf, DEVICES, graphql } from '../support/client';
import { CHROMIUM, launchChromium } from '../support/browser';
import { clusterPerSuite } from '../support/cluster';

/**
 * GraphiQL in a real browser (Debian's chromium, driven by playwright-core, no browser download).
 * Kept in its own file: .ci/run installs chromium; without it this suite is skipped, loudly.
 */
const describeInBrowser = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) console.warn(`${CHROMIUM} is missing: the GraphiQL browser test is skipped`);

/** GraphiQL 3's editors are CodeMirror 5 instances hanging off their elements; sets the visible one under `selector`. */
async function setEditor(page: Page, selector: string, value: string): Promise<void> {
  const visible = page.locator(`${selector} .CodeMirror`).locator('visible=true').first();
  await visible.waitFor();
  await visible.evaluate((element, text) => (element as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue(text), value);
}

const resultText = (page: Page) => page.$eval('.result-window .CodeMirror', (element) => (element as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());

describeInBrowser('GraphiQL in Chromium: a revoked session sees sessionTerminated', () => {
  const suite = clusterPerSuite();
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  it('the result pane keeps the event and adds the close reason, after the server closed with 4401', async () => {
    const { signIns } = await accountWithDevices(suite.url, [DEVICES.chromeOnWindows, DEVICES.safariOnIphone]);
    const [a, b] = signIns as [(typeof signIns)[number], (typeof signIns)[number]];
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    await page.goto(suite.url);

    await setEditor(page, '.graphiql-query-editor', 'subscription OnTerminated { sessionTerminated { sessionId reason } }');
    await page.getByText('Headers', { exact: true }).click();
    await setEditor(page, '.graphiql-editor-tool', JSON.stringify({ Authorization: `Bearer ${b.token}` }));
    await page.click('.graphiql-execute-button');
    await suite.waitForSubscribers(1);

    dataOf(await graphql(suite.url, RevokeSessionDocument, { id: b.session.id }, { token: a.token, device: a.device }));
    await page.waitForFunction(
      // Runs in the page (this project's TypeScript has no DOM types; a string would need unsafe-eval, which the CSP refuses).
      () => {
        type Pane = { CodeMirror: { getValue(): string } };
        const pane = (globalThis as unknown as { document: { querySelector(selector: string): Pane | null } }).document.querySelector('.result-window .CodeMirror');
        return (pane?.CodeMirror.getValue() ?? '').includes('socketClosed');
      },
      undefined,
      { timeout: 10_000 },
    );
    const shown = JSON.parse(await resultText(page)) as unknown;
    expect(shown).toEqual({
      data: { sessionTerminated: { sessionId: b.session.id, reason: 'REVOKED' } },
      extensions: { socketClosed: { code: 4401, reason: 'Session terminated' } },
    });
    expect(problems.filter((text) => /Content Security Policy|Refused/i.test(text))).toEqual([]);
    await page.close();
  }, 60_000);
});
