// The MCP conformance suite (@modelcontextprotocol/conformance) drives `bedrock-mcp mcp
// conformance-client` through every client scenario the 2025-11-25 requirement set scores
// (initialize, tools_call, elicitation defaults, SSE retry and all the OAuth scenarios) and every
// one the 2026-07-28 set scores (request _meta, multi-round-trip request state, the standard and
// custom headers, $ref handling, and the OAuth scenarios of that revision), each against the
// suite's own mock servers on loopback. The client negotiates the revision itself: the same
// binary, with no option, speaks 2025-11-25 to the first set's servers and 2026-07-28 to the
// second's. Every scored scenario must pass with no failure and no warning; the suite's
// not-scored scenarios (extensions) run too and are reported.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';

import { binary, nodeBinary, runProcess, sourceDir } from './lib/harness.mjs';

const suiteDir = path.join(sourceDir, 'node_modules/@modelcontextprotocol/conformance');
// Each requirement set and the least number of scored client scenarios it has.
const revisions = [['2025-11-25', 18], ['2026-07-28', 32]];
// Not scored by the requirement set (extensions), but implemented: they must keep passing.
const alsoPassing = [
  'auth/client-credentials-basic', 'auth/client-credentials-jwt',
  'auth/enterprise-managed-authorization', 'auth/wif-jwt-bearer',
  'json-schema-2020-12-preservation',
];

for (const [revision, scoredCount] of revisions) {
test(`conformance client --requirements ${revision} passes every scored scenario`, async () => {
  const requirements = parse(
    fs.readFileSync(path.join(suiteDir, 'requirements', `${revision}.yaml`), 'utf8'));
  const scored = requirements.client;
  assert.ok(scored.length >= scoredCount, `expected the scored client scenarios, got ${scored}`);

  const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-mcp-conformance-'));
  try {
    const run = await runProcess(nodeBinary, [
      path.join(suiteDir, 'dist/index.js'), 'client',
      '--command', `${binary} mcp conformance-client`,
      '--requirements', revision,
      '-o', outputDir,
    ], { timeoutMs: 300000 });
    const output = run.stdout + run.stderr;
    const summary = output.match(/^Total: .*$/m)?.[0];
    console.log(summary);

    // Each scenario's line in the suite summary: "✓ name: N passed, 0 failed".
    const results = new Map();
    for (const match of output.matchAll(/^([✓✗]) (\S+): (\d+) passed, (\d+) failed/gm)) {
      results.set(match[2], { ok: match[1] === '✓', passed: +match[3], failed: +match[4] });
    }
    for (const scenario of [...scored, ...alsoPassing]) {
      const result = results.get(scenario);
      assert.ok(result, `scenario ${scenario} did not run:\n${output.slice(-4000)}`);
      assert.ok(result.ok && result.failed === 0 && result.passed > 0,
        `scenario ${scenario}: ${JSON.stringify(result)}\n${output.slice(-4000)}`);
    }
    // No warnings in the scored scenarios either (the suite counts them as failures).
    const inspected = new Set();
    for (const file of fs.readdirSync(outputDir, { recursive: true })) {
      if (!String(file).endsWith('checks.json')) continue;
      // The longest name that prefixes the directory (auth/iss-supported-missing-<time> is not
      // auth/iss-supported's).
      const scenario = scored
        .filter((name) => String(file).startsWith(`${name}-`) ||
          String(file).startsWith(`${name.replace('/', path.sep)}-`))
        .sort((a, b) => b.length - a.length)[0];
      if (!scenario) continue;
      inspected.add(scenario);
      const checks = JSON.parse(fs.readFileSync(path.join(outputDir, file), 'utf8'));
      const bad = checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
      assert.deepEqual(bad, [], `${scenario}: ${JSON.stringify(bad, null, 2)}`);
    }
    assert.equal(inspected.size, scored.length, `checks.json found for ${[...inspected]}`);
    assert.equal(run.code, 0, output.slice(-4000));
  } finally {
    fs.rmSync(outputDir, { recursive: true, force: true });
  }
});
}

// The skills extension's client scenarios (SEP-2640, outside the requirement sets), one by one:
// listing reads no skill file, and a SKILL.md that fails its digest, size or frontmatter check
// stops the load before any other file is read.
for (const scenario of [
  'sep-2640-client-no-prefetch', 'sep-2640-client-verify-digest',
  'sep-2640-client-verify-size', 'sep-2640-client-verify-frontmatter',
]) {
  test(`conformance client --scenario ${scenario} passes every check`, async () => {
    const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-mcp-conformance-'));
    try {
      const run = await runProcess(nodeBinary, [
        path.join(suiteDir, 'dist/index.js'), 'client',
        '--command', `${binary} mcp conformance-client`, '--scenario', scenario, '-o', outputDir,
      ], { timeoutMs: 120000 });
      const output = run.stdout + run.stderr;
      const checks = [];
      for (const file of fs.readdirSync(outputDir, { recursive: true })) {
        if (!String(file).endsWith('checks.json')) continue;
        checks.push(...JSON.parse(fs.readFileSync(path.join(outputDir, file), 'utf8')));
      }
      assert.ok(checks.length > 0, output);
      const bad = checks.filter((c) => c.status !== 'SUCCESS');
      assert.deepEqual(bad, [], `${scenario}: ${JSON.stringify(bad, null, 2)}\n${output}`);
    } finally {
      fs.rmSync(outputDir, { recursive: true, force: true });
    }
  });
}
