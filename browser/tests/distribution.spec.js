// A distribution: a party member objects with a reason and the status changes; the proposer
// answers (the objection still stands); the objector withdraws it. Then a commissioner picks
// the moment before all this and sees the earlier version and its trail.
const { test, expect, tokenFor, signIn, expectAccessible, screenshot, DEMO, gql } = require('../helpers');

const HUB = `/hubs/${DEMO.hub}`;
const DIST = `${HUB}/distributions/${DEMO.distribution}`;
const MOSQUE = 'Al-Noor Mosque Community Health Group';

test.describe.configure({ mode: 'serial' });

/** The moment before the variation: the hub as it stood then has version 2 in force only. */
let before;

/** The proposer (GlucoLink's lead) opens a variation round: version 3 gives the ICB's money a new amount. */
async function openVariation(request) {
  const { distribution } = await gql(
    request,
    'firm_lead',
    `query($id: UUID!) { distribution(id: $id) { current {
      parties { organisationId }
      costs { party { organisationId } kind amount unit note { text lang } }
      rewards { kind description { text lang } shares { party { organisationId } basisPoints } }
    } } }`,
    { id: DEMO.distribution },
  );
  const v = distribution.current;
  await gql(
    request,
    'firm_lead',
    `mutation($i: StartVariationRoundInput!) { startVariationRound(input: $i) { distribution { openVersion { version } } } }`,
    {
      i: {
        distributionId: DEMO.distribution,
        terms: {
          parties: v.parties.map((p) => p.organisationId),
          costs: v.costs.map((c) => ({
            party: c.party.organisationId, kind: c.kind, unit: c.unit, note: c.note,
            amount: c.kind === 'MONEY' ? 45000 : c.amount,
          })),
          rewards: v.rewards.map((r) => ({
            kind: r.kind, description: r.description,
            shares: r.shares.map((s) => ({ party: s.party.organisationId, basisPoints: s.basisPoints })),
          })),
          terms: { text: 'A twelve-month pilot, extended to a second estate.' },
        },
        rationale: { text: 'The ICB can fund a second estate.' },
      },
    },
  );
}

test('a party member objects, the proposer answers, the objector withdraws', async ({ noJs, request }) => {
  // The form takes whole seconds, and the demo hub was founded just before the specs began:
  // wait until a whole second lies between its founding and the moment picked, and another
  // between that moment and the variation.
  await new Promise((r) => setTimeout(r, 2000));
  before = new Date(Date.now() - 1000).toISOString().slice(0, 19);
  await new Promise((r) => setTimeout(r, 1500));
  await openVariation(request);

  // The mosque's lead objects, with JavaScript off.
  await signIn(noJs, tokenFor('mosque_lead'));
  await noJs.goto(DIST);
  await expect(noJs.getByText('A variation is open').first()).toBeVisible();
  await noJs.getByLabel('Why does your organisation object?').fill('The second estate has no community venue yet.');
  await noJs.getByRole('button', { name: `Object for ${MOSQUE}` }).click();
  await expect(noJs.getByText("Done: your organisation's objection was recorded.")).toBeVisible();
  await expect(noJs.getByText('There is a standing objection that blocks agreement')).toBeVisible();
  await expect(noJs.getByText('The second estate has no community venue yet.')).toBeVisible();

  // The proposer answers: the answer shows beside it and the objection still stands.
  await signIn(noJs, tokenFor('firm_lead'));
  await noJs.goto(DIST);
  await noJs.getByLabel(`Your answer to ${MOSQUE}`).fill('We will fund the hall at St Mark’s for the pilot.');
  await noJs.getByRole('button', { name: 'Send your answer' }).click();
  await expect(noJs.getByText('Done: your answer to the objection was recorded.')).toBeVisible();
  await expect(noJs.getByText('We will fund the hall at St Mark’s for the pilot.')).toBeVisible();
  await expect(noJs.getByText('There is a standing objection that blocks agreement')).toBeVisible();

  // The objector withdraws it: it no longer blocks agreement.
  await signIn(noJs, tokenFor('mosque_lead'));
  await noJs.goto(DIST);
  await noJs.getByRole('button', { name: `Withdraw the objection of ${MOSQUE}` }).click();
  await expect(noJs.getByText('Done: the objection was withdrawn.')).toBeVisible();
  await expect(noJs.getByText('Withdrawn. It no longer blocks agreement.')).toBeVisible();
  await expect(noJs.getByText('There is a standing objection that blocks agreement')).toHaveCount(0);
});

test('with JavaScript, the page follows changes live', async ({ page, request }) => {
  await signIn(page, tokenFor('firm_lead'));
  await page.goto(DIST);
  const status = page.locator('#status');
  const mosqueRow = status.getByRole('row').filter({ hasText: MOSQUE });
  await expect(mosqueRow).toContainText('Not consented yet');
  // The mosque's lead consents elsewhere (through the API); the page updates without a reload.
  await gql(
    request,
    'mosque_lead',
    'mutation($i: ConsentToDistributionInput!) { consentToDistribution(input: $i) { receipt { replayed } } }',
    { i: { distributionId: DEMO.distribution, version: 3 } },
  );
  await expect(mosqueRow).toContainText('Consented', { timeout: 10_000 });
  await expect(page.locator('#live-announcement')).not.toBeEmpty();
});

test('the distribution page is accessible, with its versions side by side', async ({ page }) => {
  await signIn(page, tokenFor('mosque_lead'));
  await page.goto(DIST);
  await expect(page.getByRole('heading', { name: 'Where it stands' })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, 'distribution');
});

test('a commissioner picks a past moment and sees the earlier version and the trail', async ({ page }) => {
  await signIn(page, tokenFor('icb_commissioner'));
  await page.goto(`${HUB}/audit`);
  await expect(page.getByText('The record has not been altered since it was written')).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, 'audit');

  // Now: the trail has version 3 and the objection.
  await page.goto(`${DIST}/trail`);
  await expect(page.getByText('The ICB can fund a second estate.').first()).toBeVisible();

  // As it stood before the variation: no version 3, no objection.
  await page.goto(`${HUB}/audit`);
  await page.getByLabel('Show the hub as it stood at').fill(before);
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/at=/);
  await expect(page.getByText('The second estate has no community venue yet.')).toHaveCount(0);
  await page.getByRole('link', { name: /trail/i }).first().click();
  await expect(page).toHaveURL(/\/trail\?at=/);
  await expect(page.getByText('The ICB can fund a second estate.')).toHaveCount(0);
  await expect(page.getByText('The second estate has no community venue yet.')).toHaveCount(0);
  await expectAccessible(page);
  await screenshot(page, 'trail');
});
