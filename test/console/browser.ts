// A real browser for the console tests: playwright-core driving the machine's Chromium (Debian's
// `chromium` package; .ci/run installs it), axe-core for the accessibility check, screenshots.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** The phone width the console must work at, and a desktop one. */
export const viewports = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
} as const;
export type ViewportName = keyof typeof viewports;

function chromiumPath(): string {
  const named = process.env.CHROMIUM_PATH;
  if (named) return named;
  for (const dir of (process.env.PATH ?? '').split(delimiter))
    for (const name of ['chromium', 'chromium-browser', 'google-chrome'])
      if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(
    'no Chromium found for the console tests: install Debian’s package (apt-get install chromium) or set CHROMIUM_PATH',
  );
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    // Root (CI, this machine) cannot use Chromium's sandbox; the pages are our own console.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/** A fresh context (own sessionStorage) at a viewport; page errors and CSP violations fail the test. */
export async function openConsole(
  browser: Browser,
  viewport: ViewportName,
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: viewports[viewport] });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text()))
      problems.push(`console: ${msg.text()}`);
  });
  return { context, page, problems };
}

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's serious and critical findings on the page as it is now (WCAG 2 A/AA and best practice). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the debugging protocol, so the console's CSP (no inline script) does not block it.
  await page.evaluate(await axeSource);
  const violations = await page.evaluate(async () => {
    interface AxeResult {
      violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
    }
    const axe = (globalThis as unknown as { axe: { run: (opts: unknown) => Promise<AxeResult> } }).axe;
    const result = await axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return (violations as AxeViolation[]).filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * Where screenshots go: docs/console/ when SCREENSHOTS=docs (how the committed ones are refreshed),
 * else a scratch folder, so a test run does not leave changed images in everyone's checkout.
 */
export const screenshotDir =
  process.env.SCREENSHOTS === 'docs'
    ? new URL('../../docs/console/', import.meta.url).pathname
    : join(process.env.TMPDIR ?? '/tmp', 'cks-console-screenshots');

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  // The whole page, cut at a readable height (a list of a hundred pages need not be all in the picture).
  const height = await page.evaluate(
    () =>
      (globalThis as unknown as { document: { documentElement: { scrollHeight: number } } }).document
        .documentElement.scrollHeight,
  );
  const { width } = page.viewportSize() ?? viewports.desktop;
  await page.screenshot({
    path,
    fullPage: true,
    clip: { x: 0, y: 0, width, height: Math.min(height, 2400) },
    animations: 'disabled',
  });
  return path;
}
