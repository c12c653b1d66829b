// Every page, signed in: readable without JavaScript (it answers, has one heading and a way
// home), free of serious or critical accessibility violations (axe-core, WCAG 2.2 AA), and
// usable at a phone's width.
const { test, expect, tokenFor, signIn, expectAccessible, screenshot, DEMO } = require('../helpers');

const HUB = `/hubs/${DEMO.hub}`;
const PROBLEM = `${HUB}/problems/${DEMO.problem}`;
const DIST = `${HUB}/distributions/${DEMO.distribution}`;

/** Every page of the app, with the name of its screenshot. */
const PAGES = [
  ['/', null],
  ['/signin', null],
  [HUB, null],
  [PROBLEM, null],
  [`${HUB}/problems/new`, null],
  [`${PROBLEM}/perspectives/new`, 'add-perspective'],
  [`${PROBLEM}/ideas/new`, null],
  [`${HUB}/ideas/${DEMO.idea}`, null],
  [`${HUB}/heard`, null],
  [`${HUB}/heard?all=1`, 'heard-all'],
  [DIST, null],
  [`${DIST}?versions=all`, null],
  [`${DIST}/trail`, null],
  [`${HUB}/audit`, null],
];

test('every page reads without JavaScript', async ({ noJs }) => {
  await signIn(noJs, tokenFor('facilitator'));
  for (const [path] of PAGES) {
    const response = await noJs.goto(path);
    expect(response.status(), `${path} answered ${response.status()}`).toBe(200);
    await expect(noJs.getByRole('heading', { level: 1 }), path).toHaveCount(1);
    await expect(noJs.getByRole('link', { name: 'cohub' }), path).toBeVisible();
  }
});

test('every page is accessible (axe-core: no serious or critical violation)', async ({ page }) => {
  await signIn(page, tokenFor('facilitator'));
  for (const [path, shot] of PAGES) {
    const response = await page.goto(path);
    expect(response.status(), `${path} answered ${response.status()}`).toBe(200);
    await expectAccessible(page);
    if (shot) await screenshot(page, shot);
  }
});

test('every page fits a phone\'s width (320 px) without scrolling sideways', async ({ page }) => {
  await signIn(page, tokenFor('facilitator'));
  await page.setViewportSize({ width: 320, height: 640 });
  for (const [path] of PAGES) {
    await page.goto(path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} scrolls sideways at 320 px`).toBeLessThanOrEqual(0);
  }
});

test('a page that does not exist, and one for signed-out people, are accessible too', async ({ page }) => {
  const missing = await page.goto(`${HUB}/problems/0c0b0000-0004-7000-8000-0000000000ff`);
  // Signed out: sent to sign in, and back afterwards.
  await expect(page).toHaveURL(/\/signin\?next=/);
  await expectAccessible(page);
  expect(missing.status()).toBe(200);
  await signIn(page, tokenFor('facilitator'));
  const gone = await page.goto(`${HUB}/problems/0c0b0000-0004-7000-8000-0000000000ff`);
  expect(gone.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
  await expectAccessible(page);
  const nowhere = await page.goto('/no/such/page');
  expect(nowhere.status()).toBe(404);
  await expectAccessible(page);
});
