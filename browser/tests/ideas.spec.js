// Ideas: a champion proposes one on behalf of residents (anonymous, with how they agreed to be
// represented) and sees it listed; feedback is given and answered; "feeling heard" shows what
// waits, oldest first.
const { test, expect, tokenFor, signIn, expectAccessible, screenshot, DEMO } = require('../helpers');

const HUB = `/hubs/${DEMO.hub}`;
const PROBLEM = `${HUB}/problems/${DEMO.problem}`;

test('a champion proposes an idea on behalf of residents and sees it listed', async ({ page }) => {
  const title = 'Pharmacy reminders read aloud in Bengali';
  await signIn(page, tokenFor('champion'));
  await page.goto(PROBLEM);
  await page.getByRole('link', { name: 'Propose an idea' }).click();
  await expectAccessible(page);
  await screenshot(page, 'propose-idea');
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('What is the idea?').fill('Pharmacists record short voice notes that the app plays to residents.');
  await page.getByLabel('Yes, on behalf of residents').check();
  await page.getByLabel('Which residents?').fill('Bengali-speaking tenants of the Lion Farm estate');
  await page.getByLabel('They asked not to be named').check();
  await page.getByLabel('How did they agree to be represented?').fill("At the tenants' meeting on 20 February");
  await page.getByRole('button', { name: 'Record the idea' }).click();
  await expect(page.getByText('Done: your idea was recorded.')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(title);
  await expect(page.getByText("At the tenants' meeting on 20 February")).toBeVisible();
  await expectAccessible(page);
  // Listed on the problem and on the hub's page.
  await page.goto(PROBLEM);
  await expect(page.getByRole('link', { name: title })).toBeVisible();
  await page.goto(HUB);
  await expect(page.getByRole('link', { name: title })).toBeVisible();
});

test('feedback is given without JavaScript and waits on the heard page until answered', async ({ noJs, page }) => {
  const words = `Could the reminders also come by text? (${Date.now()})`;
  await signIn(noJs, tokenFor('nurse'));
  await noJs.goto(`${HUB}/ideas/${DEMO.idea}`);
  await noJs.getByLabel('Your feedback').fill(words);
  await noJs.getByRole('button', { name: 'Give feedback' }).click();
  await expect(noJs.getByText('Done: your feedback was recorded.')).toBeVisible();
  await noJs.goto(`${HUB}/heard`);
  await expect(noJs.getByText(words)).toBeVisible();

  // The idea's proposer responds; the feedback no longer waits.
  await signIn(page, tokenFor('champion'));
  await page.goto(`${HUB}/heard`);
  await expectAccessible(page);
  await screenshot(page, 'heard');
  await page.goto(`${HUB}/ideas/${DEMO.idea}`);
  const thread = page.locator('article, li, div.card').filter({ hasText: words }).last();
  await thread.getByLabel('Your response').fill('Yes: we will ask the pharmacy about texts.');
  await thread.getByRole('button', { name: 'Respond' }).click();
  await expect(page.getByText('Done: your response was recorded.')).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, 'idea');
  await page.goto(`${HUB}/heard`);
  await expect(page.getByText(words)).toHaveCount(0);
});
