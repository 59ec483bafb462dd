import { defineConfig } from '@playwright/test';

// The renderer in Debian's Chromium against web mode (the real core, started per test file).
// Browsers are never downloaded: /usr/bin/chromium (apt-get install chromium), or
// FLOTILLA_CHROMIUM. Screenshots worth keeping go to test-artifacts/ (Playwright empties
// its own output folder on every run).
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: '../../test-artifacts/playwright',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['line']],
  use: {
    browserName: 'chromium',
    viewport: { width: 1400, height: 860 },
    launchOptions: {
      executablePath: process.env.FLOTILLA_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
