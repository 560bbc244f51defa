// `bedrock-mcp agents lambda` (the Bedrock Agents bridge as a Lambda custom runtime) against a
// local Lambda Runtime API (tools/lambda_runtime_api.mjs), with the recorded Bedrock Agents events
// of tests/data/bridge/events (function-details and OpenAPI forms), calling real MCP servers:
// `bedrock-mcp mcp-server everything` and `bedrock-mcp mcp-server bedrock` against the emulator.
// Responses are checked against the documented shapes; bad input (unknown tool, missing argument,
// a throttled model, an MCP server down, one that dies) each has its own test. `agents schema`
// is checked on the same server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { binary, runBinary, sourceDir, startBinary } from './lib/harness.mjs';
import { startLambdaRuntimeApi } from './tools/lambda_runtime_api.mjs';

const EVENTS = path.join(sourceDir, 'tests/data/bridge/events');
const recorded = (name) => JSON.parse(fs.readFileSync(path.join(EVENTS, name), 'utf8'));
const NAME = /^([0-9a-zA-Z][_-]?){1,100}$/;
const KEYS = {
  AWS_ACCESS_KEY_ID: 'AKIDAGENTSBRIDGETEST1',
  AWS_SECRET_ACCESS_KEY: 'agents/bridge/Secret+Key/For/Interop000',
  AWS_REGION: 'us-east-1',
};

let tmpDir;
let configPath;
let pidFile;

// The documented function-details response.
function assertFunctionResponse(reply, event) {
  assert.equal(reply.kind, 'response', JSON.stringify(reply));
  const body = reply.body;
  assert.equal(body.messageVersion, '1.0');
  assert.deepEqual(Object.keys(body).sort(),
                   ['messageVersion', 'promptSessionAttributes', 'response', 'sessionAttributes']);
  assert.equal(body.response.actionGroup, event.actionGroup);
  assert.equal(body.response.function, event.function);
  const fr = body.response.functionResponse;
  assert.deepEqual(Object.keys(fr.responseBody), ['TEXT']);
  assert.equal(typeof fr.responseBody.TEXT.body, 'string');
  if ('responseState' in fr) assert.ok(['FAILURE', 'REPROMPT'].includes(fr.responseState));
  assert.deepEqual(body.sessionAttributes, event.sessionAttributes ?? {});
  assert.deepEqual(body.promptSessionAttributes, event.promptSessionAttributes ?? {});
  return { text: fr.responseBody.TEXT.body, state: fr.responseState };
}

// The documented OpenAPI response.
function assertApiResponse(reply, event) {
  assert.equal(reply.kind, 'response', JSON.stringify(reply));
  const r = reply.body.response;
  assert.equal(reply.body.messageVersion, '1.0');
  assert.equal(r.actionGroup, event.actionGroup);
  assert.equal(r.apiPath, event.apiPath);
  assert.equal(r.httpMethod, event.httpMethod);
  assert.equal(typeof r.httpStatusCode, 'number');
  assert.deepEqual(Object.keys(r.responseBody), ['application/json']);
  assert.deepEqual(reply.body.sessionAttributes, event.sessionAttributes ?? {});
  return { status: r.httpStatusCode, json: JSON.parse(r.responseBody['application/json'].body) };
}

// Starts the runtime for `server` against a fresh runtime API; resolves once it polls for work.
async function startLambda(server, extraArgs = [], env = process.env) {
  const api = await startLambdaRuntimeApi();
  const lambda = await startBinary(
      ['agents', 'lambda', '--config', configPath, '--server', server, ...extraArgs],
      { env: { ...env, AWS_LAMBDA_RUNTIME_API: api.address }, ready: /serving invocations/ });
  await api.waitForNext(1);
  return { api, lambda, async stop() { await lambda.stop(); await api.close(); } };
}

let emulator;

before(async () => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agents-lambda-'));
  pidFile = path.join(tmpDir, 'flaky.pid');
  const script = path.join(tmpDir, 'script.json');
  fs.writeFileSync(script, JSON.stringify({ rules: [
    { when: { contains: 'simulate throttling' }, respond: { fault: 'throttle' } },
  ] }));
  const env = { ...process.env, ...KEYS };
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_BEARER_TOKEN_BEDROCK;
  emulator = await startBinary(['emulator', '--port', '0', '--script', script], { env });
  configPath = path.join(tmpDir, 'servers.json');
  fs.writeFileSync(configPath, JSON.stringify({ mcpServers: {
    everything: { command: binary, args: ['mcp-server', 'everything', '--transport', 'stdio'] },
    bedrock: {
      command: binary,
      args: ['mcp-server', 'bedrock', '--transport', 'stdio',
             '--model', 'anthropic.claude-3-haiku-20240307-v1:0'],
      env: { ...KEYS, AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulator.url,
             AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME: emulator.url, AWS_MAX_ATTEMPTS: '1' },
    },
    down: { command: path.join(tmpDir, 'no-such-server') },
    // The shell execs the server, so the pid it writes is the server's own.
    flaky: { command: '/bin/sh',
             args: ['-c', `echo $$ > '${pidFile}'; exec '${binary}' mcp-server everything ` +
                          '--transport stdio'] },
  } }, null, 2));
});

after(async () => {
  await emulator?.stop();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

describe('agents lambda with mcp-server everything', () => {
  let bridge;
  before(async () => { bridge = await startLambda('everything'); });
  after(async () => { await bridge?.stop(); });

  test('function details: echo answers TEXT and passes the session attributes through',
       async () => {
    const event = recorded('function_echo.json');
    const { text, state } = assertFunctionResponse(await bridge.api.invoke(event), event);
    assert.equal(text, 'Echo: hello from Bedrock');
    assert.equal(state, undefined);
  });

  test('function details: number parameters arrive as numbers', async () => {
    const event = recorded('function_add.json');
    const { text } = assertFunctionResponse(await bridge.api.invoke(event), event);
    assert.equal(text, 'The sum of 2.5 and 40 is 42.5');
  });

  test('OpenAPI: echo answers a JSON body with status 200', async () => {
    const event = recorded('api_echo.json');
    const { status, json } = assertApiResponse(await bridge.api.invoke(event), event);
    assert.equal(status, 200);
    assert.deepEqual(json, { text: 'Echo: over OpenAPI' });
  });

  test('OpenAPI: structured content is the JSON body', async () => {
    const event = recorded('api_add.json');
    const { status, json } = assertApiResponse(await bridge.api.invoke(event), event);
    assert.equal(status, 200);
    assert.deepEqual(json, { sum: 42 });
  });

  test('a JSON-string fallback parameter reaches the tool as an object', async () => {
    const event = recorded('function_json_fallback.json');
    const { text, state } = assertFunctionResponse(await bridge.api.invoke(event), event);
    assert.equal(state, undefined, text);
    assert.match(text, /"address":\{"street":"1 Main St","city":"London"\}/);
  });

  test('an unknown tool fails the action, saying how to fix it', async () => {
    const event = recorded('function_unknown_tool.json');
    const { text, state } = assertFunctionResponse(await bridge.api.invoke(event), event);
    assert.equal(state, 'FAILURE');
    assert.match(text, /no tool for function 'delete_everything'/);
    assert.match(text, /agents schema/);
  });

  test('a missing argument reprompts the model', async () => {
    const event = recorded('function_missing_argument.json');
    const { text, state } = assertFunctionResponse(await bridge.api.invoke(event), event);
    assert.equal(state, 'REPROMPT');
    assert.equal(text, "missing required argument 'b' for tool 'add'");
  });

  test('a tool error reprompts with the tool\'s message', async () => {
    const event = recorded('function_tool_error.json');
    const { text, state } = assertFunctionResponse(await bridge.api.invoke(event), event);
    assert.equal(state, 'REPROMPT');
    assert.match(text, /intentionally returns an error/);
  });

  test('OpenAPI errors are HTTP statuses with a JSON error body', async () => {
    const event = { ...recorded('api_add.json'), apiPath: '/no_such_tool' };
    const { status, json } = assertApiResponse(await bridge.api.invoke(event), event);
    assert.equal(status, 404);
    assert.equal(json.error.type, 'unknown_tool');
  });

  test('an event that is not an action-group event is an invocation error', async () => {
    const reply = await bridge.api.invoke({ Records: [] });
    assert.equal(reply.kind, 'error');
    assert.equal(reply.errorType, 'BedrockMcp.invalid_argument');
    assert.match(reply.body.errorMessage, /actionGroup/);
  });

  test('the MCP session stays open across invocations', async () => {
    for (let i = 0; i < 3; i += 1) {
      const event = recorded('function_echo.json');
      assertFunctionResponse(await bridge.api.invoke(event), event);
    }
    assert.equal((bridge.lambda.stderr.match(/MCP session open/g) ?? []).length, 1);
  });
});

describe('agents lambda: failures', () => {
  test('an MCP server that cannot start fails the action as unavailable', async () => {
    const bridge = await startLambda('down');
    try {
      const event = recorded('function_echo.json');
      const { text, state } = assertFunctionResponse(await bridge.api.invoke(event), event);
      assert.equal(state, 'FAILURE');
      assert.match(text, /MCP server 'down' is unavailable/);
      const apiEvent = recorded('api_echo.json');
      const { status } = assertApiResponse(await bridge.api.invoke(apiEvent), apiEvent);
      assert.equal(status, 503);
    } finally {
      await bridge.stop();
    }
  });

  test('a server that died is started again for the next invocation', async () => {
    const bridge = await startLambda('flaky');
    try {
      const event = recorded('function_echo.json');
      assert.equal(assertFunctionResponse(await bridge.api.invoke(event), event).text,
                   'Echo: hello from Bedrock');
      process.kill(Number(fs.readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
      // The bridge notices the exit (a real signal, not a sleep) before the next invocation.
      const deadline = Date.now() + 10000;
      while (!/MCP session closed/.test(bridge.lambda.stderr)) {
        assert.ok(Date.now() < deadline, 'the bridge did not notice the server exit');
        await new Promise((resolve) => setImmediate(resolve));
      }
      const reply = assertFunctionResponse(await bridge.api.invoke(event), event);
      assert.equal(reply.text, 'Echo: hello from Bedrock');
      assert.equal((bridge.lambda.stderr.match(/MCP session open/g) ?? []).length, 2);
    } finally {
      await bridge.stop();
    }
  });

  test('a throttled model reprompts with the throttling error', async () => {
    const bridge = await startLambda('bedrock');
    try {
      const event = recorded('function_throttled.json');
      const { text, state } = assertFunctionResponse(await bridge.api.invoke(event), event);
      assert.equal(state, 'REPROMPT');
      assert.match(text, /Throttling/);
    } finally {
      await bridge.stop();
    }
  });

  test('--tool-error-state failure turns tool errors into FAILURE', async () => {
    const bridge = await startLambda('bedrock', ['--tool-error-state', 'failure']);
    try {
      const event = recorded('function_throttled.json');
      const { state } = assertFunctionResponse(await bridge.api.invoke(event), event);
      assert.equal(state, 'FAILURE');
    } finally {
      await bridge.stop();
    }
  });

  test('an unknown server name is reported as an init error', async () => {
    const api = await startLambdaRuntimeApi();
    try {
      const run = await runBinary(['agents', 'lambda', '--config', configPath, '--server', 'nope'],
                                  { env: { ...process.env, AWS_LAMBDA_RUNTIME_API: api.address } });
      assert.equal(run.code, 2);
      const initError = await api.waitForInitError();
      assert.equal(initError.errorType, 'BedrockMcp.not_found');
      assert.match(initError.body.errorMessage, /has no server 'nope'/);
    } finally {
      await api.close();
    }
  });

  test('without AWS_LAMBDA_RUNTIME_API the runtime refuses to start', async () => {
    const env = { ...process.env };
    delete env.AWS_LAMBDA_RUNTIME_API;
    const run = await runBinary(['agents', 'lambda', '--config', configPath, '--server',
                                 'everything'], { env });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /AWS_LAMBDA_RUNTIME_API is not set/);
  });
});

describe('agents schema', () => {
  test('function details of mcp-server everything fit the service model', async () => {
    const run = await runBinary(['agents', 'schema', '--config', configPath, '--server',
                                 'everything']);
    assert.equal(run.code, 0, run.stderr);
    const schema = JSON.parse(run.stdout);
    assert.ok(schema.functions.length <= 11);
    for (const f of schema.functions) {
      assert.match(f.name, NAME);
      if (f.description) assert.ok(f.description.length >= 1 && f.description.length <= 1200);
      assert.ok(Object.keys(f.parameters).length <= 5, f.name);
      for (const [name, p] of Object.entries(f.parameters)) {
        assert.match(name, NAME);
        assert.ok(['string', 'number', 'integer', 'boolean', 'array'].includes(p.type));
        if (p.description) assert.ok(p.description.length <= 500);
      }
    }
    // The server has more tools than an action group may have functions: the rest are behind
    // the dispatcher, and stderr says so.
    assert.equal(schema.functions.at(-1).name, 'call_mcp_tool');
    assert.match(run.stderr, /warning: .* are reachable through 'call_mcp_tool'/);
  });

  test('selected tools, as OpenAPI: one POST path each', async () => {
    const run = await runBinary(['agents', 'schema', '--config', configPath, '--server',
                                 'everything', '--format', 'openapi', '--tools',
                                 'echo,add,json_schema_2020_12_tool']);
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout);
    assert.equal(doc.openapi, '3.0.0');
    assert.deepEqual(Object.keys(doc.paths), ['/echo', '/add', '/json_schema_2020_12_tool']);
    assert.equal(doc.paths['/add'].post.operationId, 'add');
    assert.equal(doc.paths['/json_schema_2020_12_tool'].post.requestBody.content[
        'application/json'].schema.properties.address.type, 'string');
    assert.match(run.stderr, /argument 'address' .* a string parameter holding its JSON/);
  });

  test('CloudFormation: the agent, its action group and the invoke permission', async () => {
    const run = await runBinary(['agents', 'schema', '--config', configPath, '--server',
                                 'everything', '--format', 'cloudformation', '--tools', 'echo,add']);
    assert.equal(run.code, 0, run.stderr);
    const template = JSON.parse(run.stdout);
    const agent = template.Resources.Agent;
    assert.equal(agent.Type, 'AWS::Bedrock::Agent');
    const group = agent.Properties.ActionGroups[0];
    assert.deepEqual(group.ActionGroupExecutor, { Lambda: { Ref: 'McpBridgeLambdaArn' } });
    assert.deepEqual(group.FunctionSchema.Functions.map((f) => f.Name), ['echo', 'add']);
    assert.equal(template.Resources.BedrockInvokesBridge.Properties.Principal,
                 'bedrock.amazonaws.com');
  });

  test('an unknown tool in --tools is a usage error', async () => {
    const run = await runBinary(['agents', 'schema', '--config', configPath, '--server',
                                 'everything', '--tools', 'nope']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /has no tool 'nope'/);
  });
});
