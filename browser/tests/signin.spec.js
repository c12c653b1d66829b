// The front door: the home page and /signin are accessible, and a member can sign in by pasting
// a token (and out again), with JavaScript disabled as well as enabled.
const { test, expect, tokenFor, signIn, expectAccessible, screenshot } = require('../helpers');

test('the home page loads and is accessible', async ({ page }) => {
  const response = await page.goto('/');
  expect(response.ok(), `GET / answered ${response.status()}`).toBe(true);
  expect(response.headers()['content-type']).toContain('text/html');
  await expectAccessible(page);
  await screenshot(page, 'home');
});

test('the sign-in page loads and is accessible', async ({ page }) => {
  const response = await page.goto('/signin');
  expect(response.ok(), `GET /signin answered ${response.status()}`).toBe(true);
  await expect(page.getByLabel('Token', { exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, 'signin');
});

test('signing in with a pasted token works with JavaScript disabled', async ({ noJs }) => {
  await signIn(noJs, tokenFor('champion'));
  // Signed in: the page names the member (Amina Begum is the demo hub's community champion)
  // and offers to sign out.
  await expect(noJs.getByText('Amina Begum').first()).toBeVisible();
  const signOut = noJs.getByRole('button', { name: 'Sign out', exact: true });
  await expect(signOut).toBeVisible();
  // Signing out is a plain form too.
  await signOut.click();
  await expect(noJs.getByRole('link', { name: 'Sign in', exact: true }).first()).toBeVisible();
  await expect(noJs.getByText('Amina Begum')).toHaveCount(0);
});

test('the page after signing in is accessible', async ({ page }) => {
  await signIn(page, tokenFor('champion'));
  await expect(page.getByText('Amina Begum').first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, 'signed-in');
});
