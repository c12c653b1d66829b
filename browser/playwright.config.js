// Playwright drives Debian's chromium (never a downloaded browser: `scripts/ensure-browser.sh`
// installs both). tests/tests/browser.rs starts `cohub serve --demo` and sets COHUB_URL and
// one COHUB_TOKEN_<PERSON> per demo person (e.g. COHUB_TOKEN_CHAMPION).
const { defineConfig } = require('@playwright/test');

module.exports = defineConfig({
  testDir: './tests',
  // One worker, no retries: the machine is shared, and a flaky page should fail loudly.
  workers: 1,
  retries: 0,
  fullyParallel: false,
  forbidOnly: true,
  reporter: 'list',
  timeout: 30_000,
  expect: { timeout: 5_000 },
  use: {
    baseURL: process.env.COHUB_URL,
    headless: true,
    viewport: { width: 1280, height: 800 },
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    trace: 'off',
    screenshot: 'off',
    video: 'off',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
});
