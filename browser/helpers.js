// Shared helpers for the specs: signing in, accessibility, screenshots and a page with
// JavaScript disabled. Import `test` and `expect` from here (not from @playwright/test) to get
// the `noJs` fixture.
const fs = require('node:fs');
const path = require('node:path');
const base = require('@playwright/test');

const { expect } = base;

/** The WCAG rule sets axe checks; a violation of impact serious or critical fails the test. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const FAILING_IMPACTS = new Set(['serious', 'critical']);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Where `screenshot` writes, and the README shows them from. */
const SCREENSHOTS = path.join(__dirname, '..', 'docs', 'screenshots');

const test = base.test.extend({
  /**
   * A page in its own context with JavaScript disabled, to prove a page works without it
   * (forms post, links navigate). Playwright's own actions still work; the page's scripts never run.
   */
  noJs: async ({ browser, baseURL }, use) => {
    const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
    const page = await context.newPage();
    await use(page);
    await context.close();
  },
});

/**
 * The token of a demo person (`champion`, `facilitator`, `firm_lead`, ...), from
 * COHUB_TOKEN_<KEY> which tests/tests/browser.rs sets for every demo person.
 */
function tokenFor(person) {
  const name = `COHUB_TOKEN_${person.toUpperCase()}`;
  const token = process.env[name];
  if (!token) {
    throw new Error(
      `${name} is not set: run the browser tests through ` +
        '`cargo test --workspace --all-features --test browser`, which starts `cohub serve --demo` ' +
        'and sets a token per demo person',
    );
  }
  return token;
}

/**
 * Signs in on /signin by pasting `token` into the field labelled "Token" and pressing
 * "Sign in"; waits until the browser has left /signin (works with JavaScript disabled too).
 */
async function signIn(page, token) {
  const response = await page.goto('/signin');
  if (!response.ok()) throw new Error(`GET /signin answered ${response.status()}`);
  await page.getByLabel('Token', { exact: true }).fill(token);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  try {
    await page.waitForURL((url) => url.pathname !== '/signin', { timeout: 10_000 });
  } catch (e) {
    const text = (await page.locator('body').innerText().catch(() => '')).trim();
    throw new Error(
      `signing in did not leave /signin (still at ${page.url()}); the page says:\n${text}`,
    );
  }
}

/** One axe violation as readable lines: impact, rule, help, link, then each offending element. */
function describeViolation(v) {
  const lines = [`[${v.impact}] ${v.id}: ${v.help}`, `  ${v.helpUrl}`];
  for (const node of v.nodes) {
    lines.push(`  - ${node.target.join(' ')}`);
    lines.push(`    ${node.html}`);
    for (const line of (node.failureSummary || '').split('\n')) {
      if (line.trim()) lines.push(`      ${line.trim()}`);
    }
  }
  return lines.join('\n');
}

/**
 * Runs axe-core on the page as it is now (WCAG 2.0/2.1 A and AA, WCAG 2.2 AA) and fails on any
 * violation of impact serious or critical, listing each with its elements. Needs a page with
 * JavaScript enabled (axe runs in the page); a Content-Security-Policy does not stop it.
 */
async function expectAccessible(page) {
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }),
    AXE_TAGS,
  );
  const failing = results.violations.filter((v) => FAILING_IMPACTS.has(v.impact));
  if (failing.length > 0) {
    const report = failing.map(describeViolation).join('\n\n');
    throw new Error(
      `axe found ${failing.length} serious or critical violation(s) on ${page.url()}:\n\n${report}\n`,
    );
  }
}

/**
 * Writes docs/screenshots/<name>.png (the whole page, 1280 px wide) when
 * COHUB_WRITE_SCREENSHOTS=1; otherwise does nothing, so ordinary runs leave docs/ alone.
 */
async function screenshot(page, name) {
  if (process.env.COHUB_WRITE_SCREENSHOTS !== '1') return;
  const viewport = page.viewportSize() || { width: 1280, height: 800 };
  if (viewport.width !== 1280) await page.setViewportSize({ width: 1280, height: viewport.height });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({
    path: path.join(SCREENSHOTS, `${name}.png`),
    fullPage: true,
    animations: 'disabled',
  });
}

module.exports = { test, expect, tokenFor, signIn, expectAccessible, screenshot, AXE_TAGS };

/** The demo hub and its fixed ids (crates/cohub-domain/src/example.rs). */
const DEMO = {
  hub: '0c0b0000-0001-7000-8000-000000000001',
  problem: '0c0b0000-0004-7000-8000-000000000001',
  idea: '0c0b0000-0005-7000-8000-000000000001',
  distribution: '0c0b0000-0006-7000-8000-000000000001',
};

/** Runs a GraphQL request as `person` through the API (for setting the scene); fails on errors. */
async function gql(request, person, query, variables = {}) {
  const response = await request.post('/graphql', {
    headers: { authorization: `Bearer ${tokenFor(person)}` },
    data: { query, variables },
  });
  const body = await response.json();
  if (body.errors) throw new Error(`GraphQL refused: ${JSON.stringify(body.errors)}`);
  return body.data;
}

module.exports.DEMO = DEMO;
module.exports.gql = gql;
