// A small MCP server (stdio, official TS SDK v1) with the misbehaving tools the chat gateway's
// interop tests need: `big` returns a huge text, `crash` kills its own process in the middle of
// the call, `slow` sleeps (and notices cancellation).
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'chat-test-server', version: '1.0.0' });

server.tool('big', 'Returns `megabytes` MB of text', { megabytes: z.number() }, async ({ megabytes }) => {
  const line = 'The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrstuv\n';
  const count = Math.ceil((megabytes * 1024 * 1024) / line.length);
  return { content: [{ type: 'text', text: line.repeat(count) }] };
});

server.tool('crash', 'Exits the server process in the middle of the call', {}, async () => {
  setTimeout(() => process.exit(3), 50);
  return new Promise(() => {});  // never answers
});

server.tool('slow', 'Sleeps for `seconds`', { seconds: z.number() }, async ({ seconds }, extra) => {
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    extra.signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      process.stderr.write('slow: cancelled\n');
      resolve();
    });
  });
  return { content: [{ type: 'text', text: `slept ${seconds} s` }] };
});

await server.connect(new StdioServerTransport());
