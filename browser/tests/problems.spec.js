// A hub's problems: reading them, framing one and adding a perspective, with JavaScript on and
// off; errors beside their fields and summarised at the top; a double-submitted form records
// once; the page fits a phone's width and works by keyboard.
const { test, expect, tokenFor, signIn, expectAccessible, screenshot } = require('../helpers');

const HUB = '/hubs/0c0b0000-0001-7000-8000-000000000001';
const PROBLEM = `${HUB}/problems/0c0b0000-0004-7000-8000-000000000001`;

test('a hub lists its problems with perspectives, endorsements and ideas', async ({ page }) => {
  await signIn(page, tokenFor('champion'));
  await page.goto(HUB);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Black Country Community Health Hub');
  await expect(page.getByText('3 perspectives (lived experience, clinical, commissioning)')).toBeVisible();
  await expect(page.getByRole('link', { name: /Community-language voice reminders/ })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, 'hub');
  await page.goto(PROBLEM);
  await expect(page.getByRole('heading', { name: 'Perspectives' })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, 'problem');
});

test('framing a problem and adding a perspective work without JavaScript', async ({ noJs }) => {
  await signIn(noJs, tokenFor('champion_2'));
  await noJs.goto(HUB);
  await noJs.getByRole('link', { name: 'Frame a problem' }).click();
  await noJs.getByLabel('Title').fill('No shelter at the Tipton surgery bus stop');
  await noJs.getByLabel('What is the problem?').fill('Patients wait for the bus in the rain after appointments.');
  await noJs.getByLabel('Who is affected?').fill('Older patients and carers');
  await noJs.getByLabel('Where?').fill('Tipton');
  await noJs.getByRole('button', { name: 'Record the problem' }).click();
  await expect(noJs.getByText('Done: your problem was recorded.')).toBeVisible();
  await expect(noJs.getByRole('heading', { level: 1 })).toHaveText('No shelter at the Tipton surgery bus stop');
  await noJs.getByRole('link', { name: 'Add a perspective' }).click();
  await noJs.getByLabel(/Lived experience/).check();
  await noJs.getByLabel('Your perspective').fill('My dad waits twenty minutes in the rain.');
  await noJs.getByRole('button', { name: 'Record the perspective' }).click();
  await expect(noJs.getByText('Done: your perspective was recorded.')).toBeVisible();
  await expect(noJs.getByText('My dad waits twenty minutes in the rain.')).toBeVisible();
});

test('a refused form shows each error beside its field and in a summary', async ({ page }) => {
  await signIn(page, tokenFor('champion'));
  await page.goto(`${HUB}/problems/new`);
  await expectAccessible(page);
  await screenshot(page, 'frame-problem');
  await page.getByLabel('What is the problem?').fill('Something is wrong.');
  await page.getByRole('button', { name: 'Record the problem' }).click();
  const summary = page.getByRole('alert');
  await expect(summary).toContainText('There is a problem');
  // The summary links to the field; the field says what is wrong and is marked invalid.
  const link = summary.getByRole('link', { name: /The title is empty/ });
  await expect(link).toHaveAttribute('href', '#title');
  await expect(page.locator('#title-error')).toContainText('The title is empty');
  await expect(page.getByLabel('Title')).toHaveAttribute('aria-invalid', 'true');
  // The words typed are kept.
  await expect(page.getByLabel('What is the problem?')).toHaveValue('Something is wrong.');
  await link.click();
  await expect(page.getByLabel('Title')).toBeFocused();
  await expectAccessible(page);
  await screenshot(page, 'frame-problem-errors');
});

test('a double-submitted form records once', async ({ page }) => {
  const title = `Double click ${Date.now()}`;
  await signIn(page, tokenFor('champion_3'));
  await page.goto(`${HUB}/problems/new`);
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('What is the problem?').fill('A form sent twice.');
  await page.getByLabel('Who is affected?').fill('Anyone who double-clicks');
  await page.getByLabel('Where?').fill('Wednesbury');
  // What the browser would send again if the form were resubmitted (e.g. "Confirm Form
  // Resubmission" on reload): the same fields, with the key made with the page.
  const form = page.locator('form[action$="/problems/new"]');
  const fields = await form.evaluate((f) => Object.fromEntries(new FormData(f)));
  expect(fields.idempotency_key).toMatch(/^[0-9a-f-]{36}$/);
  await page.getByRole('button', { name: 'Record the problem' }).dblclick();
  await expect(page.getByText('Done: your problem was recorded.')).toBeVisible();
  const again = await page.request.post(`${HUB}/problems/new`, { form: fields });
  expect(again.ok(), `the resubmitted form answered ${again.status()}`).toBe(true);
  expect(again.url()).toBe(page.url());
  await page.goto(HUB);
  await expect(page.getByRole('link', { name: title, exact: true })).toHaveCount(1);
});

test('pages fit a phone and work by keyboard', async ({ page }) => {
  await signIn(page, tokenFor('champion'));
  await page.setViewportSize({ width: 320, height: 640 });
  for (const path of [HUB, PROBLEM, `${HUB}/problems/new`]) {
    await page.goto(path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} scrolls sideways at 320px`).toBeLessThanOrEqual(0);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(HUB);
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to main content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page.locator('main')).toBeFocused();
});
