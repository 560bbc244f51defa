// The skills extension (io.modelcontextprotocol/skills, SEP-2640) from the shell, both sides ours:
// `bedrock-mcp mcp-server everything --skills DIR` serves a folder of skills from disk (beside
// its fixture skill), over stdio and over Streamable HTTP, and `bedrock-mcp mcp skills` lists them
// one a line or prints one skill's SKILL.md once it matches the skill's entry.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { binary, runBinary, startBinary } from './lib/harness.mjs';

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-mcp-skills-'));
const skillsDir = path.join(workDir, 'skills');
const configPath = path.join(workDir, 'servers.json');

const skillMd = '---\nname: release-notes\ndescription: "Write release notes: one line a change"\n' +
    'metadata:\n  owner: docs-team\n---\n\n# Release notes\n\nUse templates/entry.md.\n';

function writeSkill(root, name, files) {
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(root, name, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }
}

function mcp(server, ...rest) {
  return runBinary(['mcp', 'skills', '--config', configPath, '--server', server,
    '--timeout', '30', ...rest]);
}

let httpServer;

before(async () => {
  writeSkill(skillsDir, 'release-notes', {
    'SKILL.md': skillMd,
    'templates/entry.md': '- <change> (#<pr>)\n',
  });
  httpServer = await startBinary(['mcp-server', 'everything', '--transport', 'http', '--port', '0',
    '--skills', skillsDir]);
  fs.writeFileSync(configPath, JSON.stringify({ mcpServers: {
    stdio: { command: binary, args: ['mcp-server', 'everything', '--skills', skillsDir] },
    http: { url: httpServer.url, type: 'streamable-http' },
  } }));
});

after(async () => {
  if (httpServer) assert.equal(await httpServer.stop(), 0, httpServer.stderr);
  fs.rmSync(workDir, { recursive: true, force: true });
});

for (const server of ['stdio', 'http']) {
  describe(`mcp skills against mcp-server everything --skills (${server})`, () => {
    test('lists every skill one a line: name, SKILL.md URI, description', async () => {
      const run = await mcp(server);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(run.stdout.trimEnd().split('\n').sort(), [
        'pdf-processing\tskill://pdf-processing/SKILL.md\tExtract, fill, and assemble PDF documents',
        'release-notes\tskill://release-notes/SKILL.md\tWrite release notes: one line a change',
      ]);
    });

    test('prints the SKILL.md of one skill, verified against its entry', async () => {
      const run = await mcp(server, 'skill://release-notes/SKILL.md');
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, skillMd);
    });

    test('--json prints the entry with every file, its digest and size', async () => {
      const run = await mcp(server, '--json', 'skill://release-notes/SKILL.md');
      assert.equal(run.code, 0, run.stderr);
      const entry = JSON.parse(run.stdout);
      assert.deepEqual(entry.frontmatter, {
        name: 'release-notes', description: 'Write release notes: one line a change',
        metadata: { owner: 'docs-team' },
      });
      const sha = (text) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
      assert.deepEqual(entry.resources, [
        { uri: 'skill://release-notes/SKILL.md', digest: sha(skillMd),
          size: Buffer.byteLength(skillMd) },
        { uri: 'skill://release-notes/templates/entry.md', digest: sha('- <change> (#<pr>)\n'),
          size: 19 },
      ]);
    });

    test('an unknown skill exits 1 naming it', async () => {
      const run = await mcp(server, 'skill://no-such-skill/SKILL.md');
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /skill:\/\/no-such-skill\/SKILL\.md/);
      assert.equal(run.stdout, '');
    });
  });
}

test('mcp-server refuses a skills folder whose SKILL.md it cannot read, naming the line',
  async () => {
    const badDir = path.join(workDir, 'bad-skills');
    writeSkill(badDir, 'broken', { 'SKILL.md': '---\nname: broken\ndescription: [a, b]\n---\n' });
    const run = await runBinary(['mcp-server', 'everything', '--skills', badDir],
      { timeoutMs: 30_000 });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /cannot load the skills/);
    assert.match(run.stderr, /line 3/);
  });
