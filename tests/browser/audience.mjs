// The audience pages in a real browser: Debian's Chromium driven by playwright-core,
// against the real tally binary on a free loopback port with a temporary data
// directory.
//
//   node audience.mjs            (TALLY_BINARY, NODE_MODULES_DIR; SCREENSHOT_DIR optional)
//
// Every check names what it expected; the run ends with "N passed, N failed".
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(join(process.env.NODE_MODULES_DIR ?? process.cwd(), 'package.json'));
const { chromium } = require('playwright-core');

const binary = process.env.TALLY_BINARY;
const screenshotDir = process.env.SCREENSHOT_DIR;
const viewports = [
  { name: '390x844', width: 390, height: 844 },
  { name: '1920x1080', width: 1920, height: 1080 },
];

// ------------------------------------------------------------------ harness

let passed = 0;
let failed = 0;
const check = (ok, what) => {
  if (ok) passed += 1;
  else failed += 1;
  console.log(`${ok ? 'PASS' : 'FAIL'}: ${what}`);
};
const equal = (actual, expected, what) =>
  check(actual === expected, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);

// Waits until `probe` returns a truthy value or the deadline passes; returns the last value.
async function until(probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function textOf(locator) {
  return (await locator.count()) ? (await locator.first().textContent())?.trim() : null;
}

// Waits until the locator's text equals `expected`; returns the time it took, or -1.
async function waitForText(locator, expected, timeoutMs) {
  const start = Date.now();
  const ok = await until(async () => (await textOf(locator)) === expected, timeoutMs);
  return ok ? Date.now() - start : -1;
}

// ------------------------------------------------------------------ server

async function startServer(dataDir) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TALLY_') && k !== 'API_PREFIX'),
  );
  const child = spawn(
    binary,
    ['--headless', '--port', '0', '--data-dir', dataDir, '--workers', '2', '--api-prefix', '/api/v2'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stderr.on('data', (chunk) => (output += chunk));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tally did not start:\n${output}`)), 15000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /Tally listening on (http:\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1].replace(/\/$/, ''));
      }
    });
    child.on('exit', (code) => reject(new Error(`tally exited with ${code}:\n${output}`)));
  });
  return { child, url };
}

function apiClient(base) {
  return async (method, path, body) => {
    const response = await fetch(`${base}/api/v2${path}`, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  };
}

// ------------------------------------------------------------------ page checks

// No horizontal scrolling and no text cut off at the side.
async function layoutProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth) problems.push(`page scrolls sideways (${root.scrollWidth} > ${root.clientWidth})`);
    for (const node of document.querySelectorAll('h1, h2, p, a, button, .label, .count, label, input')) {
      if (node.offsetParent === null || node.closest('.visually-hidden')) continue;
      if (node.scrollWidth > node.clientWidth + 1) problems.push(`clipped: ${node.tagName} "${node.textContent.slice(0, 40)}"`);
      const box = node.getBoundingClientRect();
      if (box.right > root.clientWidth + 1 || box.left < -1) problems.push(`outside the viewport: ${node.tagName}`);
    }
    return problems;
  });
}

// WCAG AA: every visible text reaches 4.5:1 against the background it sits on.
async function contrastProblems(page) {
  return page.evaluate(() => {
    const parse = (color) => (color.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]) => {
      const channel = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const background = (node) => {
      for (let at = node; at; at = at.parentElement) {
        const rgba = parse(getComputedStyle(at).backgroundColor);
        if (rgba.length === 3 || (rgba.length === 4 && rgba[3] > 0.99)) return rgba.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const problems = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode.parentElement;
      if (!walker.currentNode.textContent.trim() || !node || node.offsetParent === null) continue;
      if (node.closest('.visually-hidden')) continue;
      const fg = luminance(parse(getComputedStyle(node).color));
      const bg = luminance(background(node));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < 4.5) problems.push(`${ratio.toFixed(2)}:1 for "${node.textContent.trim().slice(0, 30)}"`);
    }
    return problems;
  });
}

async function newPage(browser, viewport, errors) {
  const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 40[349]/.test(message.text())) errors.push(message.text());
  });
  page.on('dialog', (dialog) => {
    errors.push(`dialog opened: ${dialog.message()}`);
    dialog.dismiss();
  });
  return { context, page };
}

const countOf = (page, option) => page.locator('.row', { hasText: option }).locator('.count');

// ------------------------------------------------------------------ scenarios

// A fresh server per viewport starts with these polls (oldest first).
async function seed(api, viewport) {
  const polls = [
    { id: 'keynote', theme: 'conference', question: 'Which topic should open the conference?', options: ['Distributed systems in practice', 'Developer experience', 'Security by default'] },
    { id: 'lunch', theme: 'team', question: 'Where should the team lunch be on Friday?', options: ['Thai place on 5th', 'Pizza downstairs', 'Food trucks in the park'] },
    { id: 'snack', theme: 'workshop', question: 'Which snack should we order for the workshop?', options: ['Pizza', 'Tacos', 'Sushi'] },
  ];
  for (const poll of polls) equal((await api('POST', '/polls', poll)).status, 201, `[${viewport.name}] poll ${poll.id} created`);
  equal((await api('POST', '/polls', { id: 'retro', question: 'How did the sprint feel?', options: ['Good', 'Rough'] })).status, 201, `[${viewport.name}] poll retro created`);
  equal((await api('POST', '/polls/retro/close')).status, 200, `[${viewport.name}] poll retro closed`);
}

async function votingScenario(browser, api, base, viewport) {
  const id = 'snack';
  const errors = [];
  const watcher = await newPage(browser, viewport, errors);
  const voter = await newPage(browser, viewport, errors);

  // The second context votes first, so it shows results, then watches.
  const started = Date.now();
  const response = await watcher.page.goto(`${base}/p/${id}`);
  equal(response.status(), 200, `[${viewport.name}] /p/${id} status`);
  await watcher.page.getByRole('button', { name: 'Tacos', exact: true }).waitFor();
  const shownAt = await watcher.page.evaluate(() => performance.getEntriesByName('tally:poll-shown')[0]?.startTime);
  console.log(`[${viewport.name}] poll shown ${Math.round(shownAt)} ms after navigation start (${Date.now() - started} ms including browser overhead)`);
  equal(await textOf(watcher.page.locator('#question')), 'Which snack should we order for the workshop?', `[${viewport.name}] question shown`);
  await watcher.page.getByRole('button', { name: 'Tacos', exact: true }).click();
  check((await waitForText(countOf(watcher.page, 'Tacos'), '1 vote · 100%', 3000)) >= 0, `[${viewport.name}] watcher sees its own vote`);

  await voter.page.goto(`${base}/p/${id}`);
  await voter.page.getByRole('button', { name: 'Pizza', exact: true }).click();
  const counted = await waitForText(voter.page.locator('#message'), 'Your vote for “Pizza” was counted.', 3000);
  check(counted >= 0, `[${viewport.name}] voter is told the vote was counted`);
  check((await waitForText(countOf(voter.page, 'Pizza'), '1 vote · 50%', 3000)) >= 0, `[${viewport.name}] voter sees the count`);
  const seenAfter = await waitForText(countOf(watcher.page, 'Pizza'), '1 vote · 50%', 1000);
  check(seenAfter >= 0, `[${viewport.name}] the other context sees the vote within 1 s without reloading (${seenAfter} ms)`);
  equal(await textOf(watcher.page.locator('#total')), '2 votes in total', `[${viewport.name}] total`);
  const results = await api('GET', `/results/${id}`);
  equal(JSON.stringify(results.json.results), '{"A":1,"B":1,"C":0}', `[${viewport.name}] /results agrees`);

  // Keyboard alone: Tab to an option, Enter votes.
  const keyboard = await newPage(browser, viewport, errors);
  await keyboard.page.goto(`${base}/p/${id}`);
  await keyboard.page.getByRole('button', { name: 'Sushi', exact: true }).waitFor();
  let focused = '';
  for (let i = 0; i < 8 && focused !== 'Sushi'; i += 1) {
    await keyboard.page.keyboard.press('Tab');
    focused = await keyboard.page.evaluate(() => document.activeElement?.textContent ?? '');
  }
  equal(focused, 'Sushi', `[${viewport.name}] Tab reaches the option buttons`);
  await keyboard.page.keyboard.press('Enter');
  check((await waitForText(countOf(keyboard.page, 'Sushi'), '1 vote · 33%', 3000)) >= 0, `[${viewport.name}] Enter on a focused option votes`);
  equal(await keyboard.page.locator('[aria-live="polite"]').count(), 1, `[${viewport.name}] results announced through aria-live`);
  equal(await keyboard.page.locator('[role="status"]').count(), 1, `[${viewport.name}] vote outcome is a status message`);

  const layout = await layoutProblems(voter.page);
  check(layout.length === 0, `[${viewport.name}] voting page fits: ${layout.join('; ') || 'ok'}`);
  const contrast = await contrastProblems(voter.page);
  check(contrast.length === 0, `[${viewport.name}] voting page contrast: ${contrast.join('; ') || 'ok'}`);
  if (screenshotDir) await voter.page.screenshot({ path: join(screenshotDir, `audience-poll-${viewport.name}.png`), fullPage: true });

  check(errors.length === 0, `[${viewport.name}] no script errors: ${errors.join('; ') || 'none'}`);
  for (const each of [watcher, voter, keyboard]) await each.context.close();
}

async function oneVoteScenario(browser, api, base, viewport) {
  const id = `once-${viewport.name}`;
  await api('POST', '/polls', { id, question: 'Ship on Friday?', options: ['Yes', 'No'], one_vote_per_voter: true });
  const errors = [];
  const first = await newPage(browser, viewport, errors);
  await first.page.goto(`${base}/p/${id}`);
  await first.page.getByRole('button', { name: 'Yes', exact: true }).click();
  check((await waitForText(first.page.locator('#message'), 'Your vote for “Yes” was counted.', 3000)) >= 0, `[${viewport.name}] one-vote poll takes the first vote`);
  await first.page.reload(); // even after a reload the browser is the same voter
  await first.page.getByRole('button', { name: 'No', exact: true }).click();
  check((await waitForText(first.page.locator('#message'), 'You have already voted in this poll.', 3000)) >= 0, `[${viewport.name}] the same context is refused`);
  check(await first.page.locator('#results').isVisible(), `[${viewport.name}] results shown with the refusal`);
  const fresh = await newPage(browser, viewport, errors);
  await fresh.page.goto(`${base}/p/${id}`);
  await fresh.page.getByRole('button', { name: 'No', exact: true }).click();
  check((await waitForText(fresh.page.locator('#message'), 'Your vote for “No” was counted.', 3000)) >= 0, `[${viewport.name}] a fresh context may vote`);
  const results = await api('GET', `/results/${id}`);
  equal(JSON.stringify(results.json.results), '{"A":1,"B":1}', `[${viewport.name}] one-vote poll counts`);
  check(errors.length === 0, `[${viewport.name}] no script errors: ${errors.join('; ') || 'none'}`);
  await first.context.close();
  await fresh.context.close();
}

async function hostileScenario(browser, api, base, viewport) {
  const id = `hostile-${viewport.name}`;
  const question = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> & "quotes"';
  const option = '<b onmouseover="window.__pwned=3">bold</b>';
  await api('POST', '/polls', { id, question, options: [option, '</button><script>window.__pwned=4</script>'] });
  const errors = [];
  const { context, page } = await newPage(browser, viewport, errors);
  await page.goto(`${base}/p/${id}`);
  await page.getByRole('button', { name: option, exact: true }).click();
  await waitForText(countOf(page, 'bold'), '1 vote · 100%', 3000);
  equal(await textOf(page.locator('#question')), question, `[${viewport.name}] hostile question shown literally`);
  equal(await page.evaluate(() => window.__pwned), undefined, `[${viewport.name}] hostile text ran no script`);
  equal(await page.locator('main img, main b, main script').count(), 0, `[${viewport.name}] hostile text made no elements`);
  equal(await page.getByRole('button', { name: '</button><script>window.__pwned=4</script>', exact: true }).count(), 1, `[${viewport.name}] hostile option is a button named by its literal text`);
  equal(await page.title(), `${question} · Tally`, `[${viewport.name}] hostile title literal`);
  if (viewport.width < 1000) {
    const layout = await layoutProblems(page);
    check(layout.length === 0, `[${viewport.name}] hostile page fits: ${layout.join('; ') || 'ok'}`);
  }
  await context.close();
}

// Without a WebSocket (a proxy that refuses upgrades) the page votes and reads over REST.
async function restFallbackScenario(browser, api, base, viewport) {
  const id = `fallback-${viewport.name}`;
  await api('POST', '/polls', { id, question: 'Works without a socket?', options: ['Yes', 'No'] });
  const errors = [];
  const { context, page } = await newPage(browser, viewport, errors);
  await context.addInitScript(() => {
    class RefusedSocket {
      constructor() {
        this.readyState = 3;
        setTimeout(() => this.onclose?.({ code: 1006 }), 10);
      }
      send() {
        throw new Error('not open');
      }
      close() {}
    }
    RefusedSocket.OPEN = 1;
    window.WebSocket = RefusedSocket;
  });
  await page.goto(`${base}/p/${id}`);
  check((await waitForText(page.locator('#connection'), 'Reconnecting…', 3000)) >= 0, `[${viewport.name}] page says it is reconnecting`);
  await page.getByRole('button', { name: 'No', exact: true }).click();
  check((await waitForText(page.locator('#message'), 'Your vote for “No” was counted.', 3000)) >= 0, `[${viewport.name}] vote over REST counted`);
  check((await waitForText(countOf(page, 'No'), '1 vote · 100%', 3000)) >= 0, `[${viewport.name}] results over REST`);
  equal(JSON.stringify((await api('GET', `/results/${id}`)).json.results), '{"A":0,"B":1}', `[${viewport.name}] REST vote reached the server`);
  await api('POST', '/vote/' + id, { option_id: 'A' });
  check((await waitForText(countOf(page, 'Yes'), '1 vote · 50%', 5000)) >= 0, `[${viewport.name}] results refreshed over REST`);
  check(errors.length === 0, `[${viewport.name}] no script errors: ${errors.join('; ') || 'none'}`);
  await context.close();
}

async function closeScenario(browser, api, base, viewport) {
  const id = `closing-${viewport.name}`;
  await api('POST', '/polls', { id, question: 'Keep the retro at 30 minutes?', options: ['Yes', 'Longer'] });
  const errors = [];
  const { context, page } = await newPage(browser, viewport, errors);
  await page.goto(`${base}/p/${id}`);
  await page.getByRole('button', { name: 'Longer', exact: true }).click();
  await waitForText(countOf(page, 'Longer'), '1 vote · 100%', 3000);
  equal((await api('POST', `/polls/${id}/close`)).status, 200, `[${viewport.name}] closed from the API`);
  check((await waitForText(page.locator('#poll-state'), 'Closed · final results', 3000)) >= 0, `[${viewport.name}] open page shows the poll closed`);
  equal(await page.getByRole('button', { name: 'Yes', exact: true }).count(), 0, `[${viewport.name}] no vote buttons once closed`);
  equal(await textOf(countOf(page, 'Longer')), '1 vote · 100%', `[${viewport.name}] final results stay`);
  await api('POST', `/polls/${id}/open`);
  check(await page.getByRole('button', { name: 'Yes', exact: true }).waitFor({ timeout: 3000 }).then(() => true, () => false), `[${viewport.name}] reopening brings the buttons back`);
  await api('DELETE', `/polls/${id}`);
  check((await waitForText(page.locator('#missing-title'), 'This poll was deleted', 3000)) >= 0, `[${viewport.name}] deletion shown live`);
  const unknown = await page.goto(`${base}/p/no-such-poll`);
  equal(unknown.status(), 404, `[${viewport.name}] unknown poll page status`);
  check((await waitForText(page.locator('#missing-title'), 'This poll does not exist', 3000)) >= 0, `[${viewport.name}] unknown poll said plainly`);
  check(errors.length === 0, `[${viewport.name}] no script errors: ${errors.join('; ') || 'none'}`);
  await context.close();
}

// Several choices: checkboxes up to max_choices, sent as one vote with option_ids.
async function multipleChoiceScenario(browser, api, base, viewport) {
  const id = `several-${viewport.name}`;
  equal((await api('POST', '/polls', { id, question: 'Which workshops will you join?', options: ['Charts', 'Sockets', 'Tests'], max_choices: 2 })).status, 201, `[${viewport.name}] multiple-choice poll created`);
  const errors = [];
  const { context, page } = await newPage(browser, viewport, errors);
  await page.goto(`${base}/p/${id}`);
  const box = (name) => page.getByRole('checkbox', { name, exact: true });
  await box('Charts').waitFor();
  equal(await page.getByRole('checkbox').count(), 3, `[${viewport.name}] one checkbox per option`);
  equal(await textOf(page.locator('#vote-hint')), 'Choose up to 2 answers, then press Vote:', `[${viewport.name}] hint names the limit`);
  equal(await textOf(page.locator('#poll-state')), 'Open · up to 2 choices', `[${viewport.name}] state names the limit`);
  const vote = page.getByRole('button', { name: 'Vote', exact: true });
  check(await vote.isDisabled(), `[${viewport.name}] Vote waits for a choice`);
  await box('Charts').check();
  await box('Sockets').check();
  check(await box('Tests').isDisabled(), `[${viewport.name}] a third box cannot be ticked`);
  await box('Sockets').uncheck();
  check(await box('Tests').isEnabled(), `[${viewport.name}] clearing one frees the others`);
  await box('Tests').check();
  const layout = await layoutProblems(page);
  check(layout.length === 0, `[${viewport.name}] multiple-choice page fits: ${layout.join('; ') || 'ok'}`);
  const contrast = await contrastProblems(page);
  check(contrast.length === 0, `[${viewport.name}] multiple-choice page contrast: ${contrast.join('; ') || 'ok'}`);
  await vote.click();
  check((await waitForText(page.locator('#message'), 'Your vote for “Charts”, “Tests” was counted.', 3000)) >= 0, `[${viewport.name}] both choices counted as one vote`);
  const results = (await api('GET', `/results/${id}`)).json;
  equal(JSON.stringify(results.results), '{"A":1,"B":0,"C":1}', `[${viewport.name}] /results has both choices`);
  equal(results.voters, 1, `[${viewport.name}] /results counts one voter`);
  check((await waitForText(countOf(page, 'Charts'), '1 vote · 100%', 3000)) >= 0, `[${viewport.name}] a share is of the voters`);
  check((await waitForText(page.locator('#total'), '1 voter · 2 choices in total', 3000)) >= 0, `[${viewport.name}] total names voters and choices`);
  if (screenshotDir) await page.screenshot({ path: join(screenshotDir, `audience-several-${viewport.name}.png`), fullPage: true });
  check(errors.length === 0, `[${viewport.name}] no script errors: ${errors.join('; ') || 'none'}`);
  await context.close();
}

// Hidden results: the page votes but shows no counts until the presenter reveals them.
async function hiddenResultsScenario(browser, api, base, viewport) {
  const id = `hidden-${viewport.name}`;
  equal((await api('POST', '/polls', { id, question: 'Guess the answer?', options: ['Red', 'Blue'], results_visibility: 'hidden' })).status, 201, `[${viewport.name}] hidden-results poll created`);
  const errors = [];
  const { context, page } = await newPage(browser, viewport, errors);
  await page.goto(`${base}/p/${id}`);
  await page.getByRole('button', { name: 'Blue', exact: true }).click();
  check((await waitForText(page.locator('#message'), 'Your vote for “Blue” was counted.', 3000)) >= 0, `[${viewport.name}] vote on a hidden poll counted`);
  check((await waitForText(page.locator('#results-hidden'), 'The results are hidden until the presenter reveals them.', 3000)) >= 0, `[${viewport.name}] results said to be hidden`);
  equal(await page.locator('.row').count(), 0, `[${viewport.name}] no counts while hidden`);
  equal(await page.locator('#total').isVisible(), false, `[${viewport.name}] no total while hidden`);
  const contrast = await contrastProblems(page);
  check(contrast.length === 0, `[${viewport.name}] hidden-results page contrast: ${contrast.join('; ') || 'ok'}`);
  equal((await api('POST', `/polls/${id}/reveal`)).status, 200, `[${viewport.name}] revealed from the API`);
  check((await waitForText(countOf(page, 'Blue'), '1 vote · 100%', 3000)) >= 0, `[${viewport.name}] revealed counts shown without a reload`);
  equal(await page.locator('#results-hidden').isVisible(), false, `[${viewport.name}] hidden notice gone`);
  equal((await api('POST', `/polls/${id}/reset`)).status, 200, `[${viewport.name}] reset from the API`);
  check((await waitForText(countOf(page, 'Blue'), '0 votes · 0%', 3000)) >= 0, `[${viewport.name}] an open page starts from zero after a reset`);
  check(errors.length === 0, `[${viewport.name}] no script errors: ${errors.join('; ') || 'none'}`);
  await context.close();
}

// A timed close: a countdown, then the closed state without a reload.
async function timedCloseScenario(browser, api, base, viewport) {
  const id = `timed-${viewport.name}`;
  const closesAt = new Date(Date.now() + 4000).toISOString();
  equal((await api('POST', '/polls', { id, question: 'Last call?', options: ['Yes', 'No'], closes_at: closesAt })).status, 201, `[${viewport.name}] timed poll created`);
  const errors = [];
  const { context, page } = await newPage(browser, viewport, errors);
  await page.goto(`${base}/p/${id}`);
  await page.getByRole('button', { name: 'Yes', exact: true }).waitFor();
  const countdown = await textOf(page.locator('#countdown'));
  check(/^Closes in 0:0[1-4]$/.test(countdown ?? ''), `[${viewport.name}] countdown shown: ${countdown}`);
  check(await until(async () => (await textOf(page.locator('#countdown'))) !== countdown, 2500), `[${viewport.name}] countdown moves`);
  check((await waitForText(page.locator('#poll-state'), 'Closed · final results', 7000)) >= 0, `[${viewport.name}] closed at closes_at without a reload`);
  equal(await page.locator('#countdown').isVisible(), false, `[${viewport.name}] countdown gone once closed`);
  equal(await page.getByRole('button', { name: 'Yes', exact: true }).count(), 0, `[${viewport.name}] no vote buttons after the close`);
  equal((await api('POST', `/vote/${id}`, { option_id: 'A' })).status, 409, `[${viewport.name}] the server refuses late votes`);
  check(errors.length === 0, `[${viewport.name}] no script errors: ${errors.join('; ') || 'none'}`);
  await context.close();
}

async function indexScenario(browser, api, base, viewport) {
  const errors = [];
  const { context, page } = await newPage(browser, viewport, errors);
  await page.goto(`${base}/`);
  const open = (await api('GET', '/polls?status=open')).json.polls;
  const expected = open.map((p) => p.question).reverse();
  await until(async () => (await page.locator('.poll-link').count()) === expected.length, 3000);
  const shown = await page.locator('.poll-link').allTextContents();
  equal(JSON.stringify(shown), JSON.stringify(expected), `[${viewport.name}] / lists the open polls, newest first`);
  const href = await page.locator('.poll-link').first().getAttribute('href');
  equal(href, `/p/${encodeURIComponent(open[open.length - 1].id)}`, `[${viewport.name}] each links to its page`);
  check(!shown.includes('How did the sprint feel?'), `[${viewport.name}] a closed poll is not listed`);
  const layout = await layoutProblems(page);
  check(layout.length === 0, `[${viewport.name}] poll list fits: ${layout.join('; ') || 'ok'}`);
  const contrast = await contrastProblems(page);
  check(contrast.length === 0, `[${viewport.name}] poll list contrast: ${contrast.join('; ') || 'ok'}`);
  if (screenshotDir) await page.screenshot({ path: join(screenshotDir, `audience-index-${viewport.name}.png`), fullPage: true });
  // A poll created while the page is open appears without a reload.
  const id = `fresh-${viewport.name}`;
  await api('POST', '/polls', { id, question: `Created while watching (${viewport.name})`, options: ['A', 'B'] });
  check((await waitForText(page.locator('.poll-link').first(), `Created while watching (${viewport.name})`, 3000)) >= 0, `[${viewport.name}] new poll appears live`);
  await page.getByLabel('Poll id').fill(id);
  await page.getByLabel('Poll id').press('Enter');
  await page.waitForURL(`${base}/p/${id}`);
  const opened = await page.getByRole('button', { name: 'A', exact: true }).waitFor({ timeout: 3000 }).then(() => true, () => false);
  check(opened, `[${viewport.name}] the id box opens the poll`);
  check(errors.length === 0, `[${viewport.name}] no script errors: ${errors.join('; ') || 'none'}`);
  await context.close();
}

// ------------------------------------------------------------------ main

const workDir = mkdtempSync(join(tmpdir(), 'tally-browser-'));
if (screenshotDir) mkdirSync(screenshotDir, { recursive: true });
const servers = [];
let browser;
try {
  if (!binary) throw new Error('TALLY_BINARY is not set');
  // Playwright gives each launch a fresh --user-data-dir of its own under the temporary
  // directory (and refuses one in args): point that at a directory removed afterwards.
  process.env.TMPDIR = workDir;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  for (const viewport of viewports) {
    const server = await startServer(join(workDir, `data-${viewport.name}`));
    servers.push(server);
    const api = apiClient(server.url);
    if (viewport === viewports[0]) {
      const head = await fetch(`${server.url}/`, { method: 'HEAD' });
      equal(head.headers.get('x-content-type-options'), 'nosniff', 'page headers: nosniff');
      check(/default-src 'self'/.test(head.headers.get('content-security-policy') ?? ''), 'page headers: CSP');
    }
    await seed(api, viewport);
    await indexScenario(browser, api, server.url, viewport);
    await votingScenario(browser, api, server.url, viewport);
    await oneVoteScenario(browser, api, server.url, viewport);
    await hostileScenario(browser, api, server.url, viewport);
    await closeScenario(browser, api, server.url, viewport);
    await restFallbackScenario(browser, api, server.url, viewport);
    await multipleChoiceScenario(browser, api, server.url, viewport);
    await hiddenResultsScenario(browser, api, server.url, viewport);
    await timedCloseScenario(browser, api, server.url, viewport);
  }
} catch (error) {
  check(false, `run aborted: ${error.stack ?? error}`);
} finally {
  await browser?.close();
  for (const server of servers) {
    server.child.kill('SIGTERM');
    await new Promise((resolve) => (server.child.exitCode !== null ? resolve() : server.child.on('exit', resolve)));
  }
  rmSync(workDir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
