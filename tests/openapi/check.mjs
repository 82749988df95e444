// Validates Tally's OpenAPI document with an OpenAPI 3.1 validator, then starts the
// real binary (TALLY_BINARY) and checks the live answer of every route, successes and
// errors, against the document: the status must be documented for the operation, and
// a JSON body must match the documented schema (ajv, JSON Schema 2020-12). Fails when
// an operation of the document was never exercised.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const binary = process.env.TALLY_BINARY;
const documentPath = process.argv[2];
if (!binary || !documentPath) {
  console.error('usage: TALLY_BINARY=... node check.mjs path/to/openapi.json');
  process.exit(2);
}
const failures = [];
const fail = (message) => { failures.push(message); console.error('FAIL ' + message); };

// 1. The document itself.
const document = JSON.parse(readFileSync(documentPath, 'utf8'));
const validator = new Validator();
const verdict = await validator.validate(structuredClone(document));
if (!verdict.valid) fail('openapi.json is not a valid OpenAPI 3.1 document: ' + JSON.stringify(verdict.errors, null, 1));
if (validator.version !== '3.1') fail('openapi.json must be OpenAPI 3.1, validator saw ' + validator.version);

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(document, 'openapi');
const pointer = (...parts) => '/' + parts.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
const resolve = (object) => {
  let where = null;
  while (object && object.$ref) {
    where = object.$ref.slice(1);
    object = where.split('/').slice(1).reduce((o, k) => o[k.replaceAll('~1', '/').replaceAll('~0', '~')], document);
  }
  return { object, where };
};
const validators = new Map();
const schemaValidator = (schemaPointer) => {
  if (!validators.has(schemaPointer)) validators.set(schemaPointer, ajv.compile({ $ref: 'openapi#' + schemaPointer }));
  return validators.get(schemaPointer);
};

// 2. A server per configuration, on a free port with its own data directory.
const servers = [];
async function startServer(args) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tally-openapi-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TALLY_') && k !== 'REDIS_NODES'));
  const child = spawn(binary, ['--headless', '--port', '0', '--data-dir', dataDir, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('tally did not listen within 20 s: ' + stderr)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const match = out.match(/^Tally listening on (http:\/\/\S+) /m);
      if (match) { clearTimeout(timer); resolveUrl(match[1].replace(/\/$/, '')); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`tally exited (${code}): ${stderr}`)); });
  });
  const server = { child, dataDir, url };
  servers.push(server);
  return server;
}
async function stopAll() {
  for (const { child, dataDir } of servers) {
    if (child.exitCode === null) {
      const ended = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await ended;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// 3. Requests and their check against the document.
const exercised = new Set();
const templates = Object.keys(document.paths).map((template) => ({
  template,
  regex: new RegExp('^' + template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+') + '$'),
}));

async function check(server, method, target, { body, headers = {}, expect, raw } = {}) {
  const init = { method, headers: { ...headers }, redirect: 'manual' };
  if (body !== undefined) {
    init.body = raw ? body : JSON.stringify(body);
    if (!init.headers['Content-Type']) init.headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(server.url + target, init);
  const text = await response.text();
  const label = `${method} ${target} -> ${response.status}`;
  if (expect !== undefined && response.status !== expect) { fail(`${label}: expected ${expect}; body ${text.slice(0, 300)}`); return; }
  const pathOnly = target.split('?')[0];
  const match = templates.find((t) => t.regex.test(pathOnly) && document.paths[t.template][method.toLowerCase()]);
  const known = templates.find((t) => t.regex.test(pathOnly));
  // A wrong method on a documented path: the 405 must follow the shared error schema.
  const operation = match ? document.paths[match.template][method.toLowerCase()] : null;
  let documented;
  if (operation) {
    exercised.add(method.toLowerCase() + ' ' + match.template);
    documented = operation.responses[String(response.status)];
    if (!documented) { fail(`${label}: status not documented for ${method} ${match.template}`); return; }
  } else if (known || response.status === 404) {
    documented = { $ref: '#/components/responses/' + (response.status === 404 ? 'NotFound' : 'MethodNotAllowed') };
    if (known && response.status !== 405) { fail(`${label}: expected 405 for an undocumented method`); return; }
  } else {
    fail(`${label}: path not in the document`); return;
  }
  const { object: responseObject, where } = resolve(documented);
  const content = responseObject.content;
  const type = (response.headers.get('content-type') || '').split(';')[0].trim();
  if (!content) {
    if (text.length) fail(`${label}: documented without a body but got ${text.length} bytes`);
    return;
  }
  if (!content[type]) { fail(`${label}: content type ${type} not documented (${Object.keys(content)})`); return; }
  for (const [header] of Object.entries(responseObject.headers || {})) {
    if (!response.headers.has(header)) fail(`${label}: documented header ${header} missing`);
  }
  if (type !== 'application/json') return;
  let json;
  try { json = JSON.parse(text); } catch { fail(`${label}: body is not JSON`); return; }
  const base = where ?? pointer('paths', match.template, method.toLowerCase(), 'responses', String(response.status));
  const validate = schemaValidator(base + pointer('content', type, 'schema'));
  if (!validate(json)) fail(`${label}: body does not match the schema: ${ajv.errorsText(validate.errors)}\n  body: ${text.slice(0, 500)}`);
}

try {
  const a = await startServer(['--batch-interval', '0.05']);
  const poll = { id: 'p1', question: 'Best snack?', theme: 'food', options: ['Pizza', 'Tacos'] };
  await check(a, 'GET', '/health', { expect: 200 });
  await check(a, 'GET', '/ready', { expect: 200 });
  await check(a, 'GET', '/metrics', { expect: 200 });
  await check(a, 'POST', '/api/v1/polls', { body: poll, expect: 201 });
  await check(a, 'POST', '/api/v1/polls', { body: { question: 'Generated id?', options: ['a', 'b'], one_vote_per_voter: true }, expect: 201 });
  await check(a, 'POST', '/api/v1/polls', { body: poll, expect: 409 });
  await check(a, 'POST', '/api/v1/polls', { body: '{"question":', raw: true, expect: 400 });
  await check(a, 'POST', '/api/v1/polls', { body: { question: 'No options' }, expect: 422 });
  await check(a, 'POST', '/api/v1/polls', { body: 'question', raw: true, headers: { 'Content-Type': 'text/plain' }, expect: 415 });
  await check(a, 'POST', '/api/v1/polls', { body: JSON.stringify({ question: 'x'.repeat(20000) }), raw: true, expect: 413 });
  await check(a, 'GET', '/api/v1/polls', { expect: 200 });
  await check(a, 'GET', '/api/v1/polls?theme=food&status=open', { expect: 200 });
  await check(a, 'GET', '/api/v1/polls?status=maybe', { expect: 422 });
  await check(a, 'GET', '/api/v1/polls/p1', { expect: 200 });
  await check(a, 'GET', '/api/v1/polls/none', { expect: 404 });
  await check(a, 'GET', '/api/v1/themes', { expect: 200 });
  await check(a, 'POST', '/api/v1/vote/p1', { body: { option_id: 'A' }, expect: 202 });
  await check(a, 'POST', '/api/v1/vote/p1', { body: { option_id: 'Q' }, expect: 422 });
  await check(a, 'POST', '/api/v1/vote/p1', { body: {}, expect: 422 });
  await check(a, 'POST', '/api/v1/vote/none', { body: { option_id: 'A' }, expect: 404 });
  await check(a, 'POST', '/api/v1/vote/p1', { body: '[1', raw: true, expect: 400 });
  await check(a, 'POST', '/api/v1/votes', { body: { votes: [{ poll_id: 'p1', option_id: 'B' }, { poll_id: 'none', option_id: 'A' }, { poll_id: 'p1' }] }, expect: 202 });
  await check(a, 'POST', '/api/v1/votes', { body: { votes: Array(1001).fill({ poll_id: 'p1', option_id: 'A' }) }, raw: false, expect: 422 });
  await check(a, 'POST', '/api/v1/votes', { body: { votes: 'many' }, expect: 422 });
  await check(a, 'GET', '/api/v1/results/p1', { expect: 200 });
  await check(a, 'GET', '/api/v1/results/p1', { expect: 200 });
  await check(a, 'GET', '/api/v1/results/none', { expect: 404 });
  await check(a, 'POST', '/api/v1/polls/p1/close', { expect: 200 });
  await check(a, 'POST', '/api/v1/vote/p1', { body: { option_id: 'A' }, expect: 409 });
  await check(a, 'POST', '/api/v1/polls/p1/open', { expect: 200 });
  await check(a, 'POST', '/api/v1/polls/none/close', { expect: 404 });
  const multi = { id: 'm1', question: 'Which ones?', options: ['a', 'b', 'c'], max_choices: 2, results_visibility: 'hidden', closes_at: new Date(Date.now() + 3600e3).toISOString() };
  await check(a, 'POST', '/api/v1/polls', { body: multi, expect: 201 });
  await check(a, 'POST', '/api/v1/polls', { body: { ...multi, id: 'm2', max_choices: 4 }, expect: 422 });
  await check(a, 'POST', '/api/v1/vote/m1', { body: { option_ids: ['A', 'C'] }, expect: 202 });
  await check(a, 'POST', '/api/v1/vote/m1', { body: { option_ids: ['A', 'B', 'C'] }, expect: 422 });
  await check(a, 'POST', '/api/v1/votes', { body: { votes: [{ poll_id: 'm1', option_ids: ['B'] }, { poll_id: 'm1', option_ids: ['B', 'B'] }] }, expect: 202 });
  await check(a, 'GET', '/api/v1/results/m1', { headers: { 'X-Forwarded-For': '192.0.2.9' }, expect: 403 });
  await check(a, 'GET', '/api/v1/results/m1', { expect: 200 });
  await check(a, 'GET', '/api/v1/polls/m1/export?format=csv', { expect: 200 });
  await check(a, 'GET', '/api/v1/polls/m1/export?format=json', { expect: 200 });
  await check(a, 'GET', '/api/v1/polls/m1/export?format=pdf', { expect: 422 });
  await check(a, 'GET', '/api/v1/polls/none/export?format=csv', { expect: 404 });
  await check(a, 'POST', '/api/v1/polls/m1/reveal', { expect: 200 });
  await check(a, 'POST', '/api/v1/polls/none/reveal', { expect: 404 });
  await check(a, 'POST', '/api/v1/polls/m1/reset', { expect: 200 });
  await check(a, 'POST', '/api/v1/polls/none/reset', { expect: 404 });
  await check(a, 'POST', '/api/v1/polls/none/open', { expect: 404 });
  await check(a, 'GET', '/api/v1/stats', { expect: 200 });
  await check(a, 'GET', '/api/v1/ring', { expect: 200 });
  // Embedded shards: nothing to move; bad bodies first.
  await check(a, 'POST', '/api/v1/shards/rebalance', { body: '{"dry_run":', raw: true, expect: 400 });
  await check(a, 'POST', '/api/v1/shards/rebalance', { body: { dry_run: 'yes' }, expect: 422 });
  await check(a, 'POST', '/api/v1/shards/rebalance', { body: 'dry_run', raw: true, headers: { 'Content-Type': 'text/plain' }, expect: 415 });
  await check(a, 'POST', '/api/v1/shards/rebalance', { expect: 409 });
  await check(a, 'GET', '/api/v1/ws', { expect: 426 });
  await check(a, 'GET', '/api/v1/openapi.json', { expect: 200 });
  await check(a, 'GET', '/api/v1/docs', { expect: 200 });
  await check(a, 'GET', '/api/v1/docs/redoc.standalone.js', { expect: 200 });
  await check(a, 'PUT', '/api/v1/polls', { body: {}, expect: 405 });
  await check(a, 'GET', '/api/v1/nothing-here', { expect: 404 });
  await check(a, 'DELETE', '/api/v1/polls/p1', { expect: 204 });
  await check(a, 'DELETE', '/api/v1/polls/p1', { expect: 404 });

  // The served document is the one checked here, with this build's version.
  const served = await (await fetch(a.url + '/api/v1/openapi.json')).json();
  // Qt sorts object keys: compare with sorted keys.
  const canonical = (v) => Array.isArray(v) ? v.map(canonical)
    : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])])) : v;
  if (JSON.stringify(canonical(served.paths)) !== JSON.stringify(canonical(document.paths))
      || JSON.stringify(canonical(served.components)) !== JSON.stringify(canonical(document.components)))
    fail('served openapi.json differs from ' + documentPath);

  // Admin token and rate limits: clients told apart by X-Forwarded-For (loopback is a trusted proxy).
  const b = await startServer(['--admin-token', 'secret-token', '--rate-limit-loopback', '--rate-admin', '0.01']);
  await check(b, 'POST', '/api/v1/polls', { body: poll, headers: { 'X-Forwarded-For': '192.0.2.1' }, expect: 401 });
  await check(b, 'POST', '/api/v1/polls', { body: poll, headers: { 'X-Forwarded-For': '192.0.2.2', Authorization: 'Bearer wrong' }, expect: 403 });
  await check(b, 'POST', '/api/v1/polls', { body: poll, headers: { 'X-Forwarded-For': '192.0.2.2', Authorization: 'Bearer secret-token' }, expect: 429 });
  await check(b, 'DELETE', '/api/v1/polls/p1', { headers: { 'X-Forwarded-For': '192.0.2.3', Authorization: 'Bearer secret-token' }, expect: 404 });
} catch (error) {
  fail('unexpected: ' + (error.stack || error));
} finally {
  await stopAll();
}

for (const [template, item] of Object.entries(document.paths))
  for (const method of Object.keys(item).filter((m) => ['get', 'post', 'put', 'delete', 'patch'].includes(m)))
    if (!exercised.has(method + ' ' + template)) fail(`${method.toUpperCase()} ${template} was never exercised`);

if (failures.length) {
  console.error(`${failures.length} problem(s)`);
  process.exit(1);
}
console.log(`openapi.json is valid OpenAPI ${validator.version}; ${exercised.size} operations checked against live answers`);
