// A Node preload (`node --import <this file> server.js`) that makes the AWS SDK for JavaScript v3
// use HTTP/1.1 where a client hard-codes HTTP/2.
//
// @aws-sdk/client-bedrock-agent-runtime (and client-bedrock-runtime) build their request handler
// with `NodeHttp2Handler.create(config.requestHandler ?? defaults)`: a program that does not pass
// its own requestHandler, like @modelcontextprotocol/server-aws-kb-retrieval, always speaks HTTP/2,
// and over an http:// endpoint that means HTTP/2 with prior knowledge, which the emulator (an
// HTTP/1.1 server, like most local stand-ins and proxies) cannot answer. The endpoint itself needs
// no help: the SDK reads AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME (or AWS_ENDPOINT_URL).
//
// The preload loads @smithy/node-http-handler the way the SDK client resolves it (the same module
// instance), and makes NodeHttp2Handler.create return a NodeHttpHandler built from the same
// options. A handler instance passed by the program is still used as given.
import { createRequire } from 'node:module';
import path from 'node:path';

const sourceDir = process.env.BEDROCK_SOURCE_DIR ?? path.resolve(import.meta.dirname, '../../..');
const fromRoot = createRequire(path.join(sourceDir, 'package.json'));
for (const client of ['@aws-sdk/client-bedrock-agent-runtime', '@aws-sdk/client-bedrock-runtime']) {
  let clientPath;
  try {
    clientPath = fromRoot.resolve(client);
  } catch {
    continue;  // not installed
  }
  const handlers = createRequire(clientPath)('@smithy/node-http-handler');
  const { NodeHttp2Handler, NodeHttpHandler } = handlers;
  if (NodeHttp2Handler.create.bedrockMcpHttp1) continue;
  const create = (instanceOrOptions) => NodeHttpHandler.create(instanceOrOptions);
  create.bedrockMcpHttp1 = true;
  NodeHttp2Handler.create = create;
}
