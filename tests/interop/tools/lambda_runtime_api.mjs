// A local AWS Lambda Runtime API (the endpoints a custom runtime's bootstrap talks to), for testing
// `bedrock-mcp agents lambda` outside Lambda. Loopback only, port 0.
//
//   const api = await startLambdaRuntimeApi();
//   // start the runtime with AWS_LAMBDA_RUNTIME_API=api.address
//   const { kind, body } = await api.invoke(event);   // kind: 'response' | 'error'
//   await api.close();
//
// Implemented as documented (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
//   GET  /2018-06-01/runtime/invocation/next           long poll; answers when an event is queued,
//        with Lambda-Runtime-Aws-Request-Id, -Deadline-Ms, -Invoked-Function-Arn, -Trace-Id
//   POST /2018-06-01/runtime/invocation/{id}/response  202; resolves that invoke()
//   POST /2018-06-01/runtime/invocation/{id}/error     202; resolves it as an error
//   POST /2018-06-01/runtime/init/error                202; recorded in initErrors
// Anything else is 404; a post for an unknown request id is 400 (as Lambda answers).
import { randomUUID } from 'node:crypto';
import http from 'node:http';

const PREFIX = '/2018-06-01/runtime';

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startLambdaRuntimeApi({ functionArn =
    'arn:aws:lambda:us-east-1:123456789012:function:bedrock-mcp-bridge' } = {}) {
  const queue = [];     // events not yet handed out: {id, body, deadlineMs}
  const waiting = [];   // GET next requests waiting for an event
  const inflight = new Map();  // request id -> {resolve}
  const initErrors = [];
  const initErrorWaiters = [];
  let nextCount = 0;
  const nextWaiters = [];

  const send = (res, event) => {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': event.id,
      'Lambda-Runtime-Deadline-Ms': String(event.deadlineMs),
      'Lambda-Runtime-Invoked-Function-Arn': functionArn,
      'Lambda-Runtime-Trace-Id': `Root=1-${Date.now().toString(16)}-${event.id.slice(0, 24)}`,
    });
    res.end(event.body);
  };

  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url, 'http://localhost');
    if (req.method === 'GET' && url.pathname === `${PREFIX}/invocation/next`) {
      nextCount += 1;
      for (const w of nextWaiters.splice(0)) w(nextCount);
      const event = queue.shift();
      if (event) send(res, event);
      else waiting.push(res);
      return;
    }
    if (req.method === 'POST' && url.pathname === `${PREFIX}/init/error`) {
      const record = { body: JSON.parse(body || '{}'),
                       errorType: req.headers['lambda-runtime-function-error-type'] };
      initErrors.push(record);
      for (const w of initErrorWaiters.splice(0)) w(record);
      res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"OK"}');
      return;
    }
    const match = url.pathname.match(/^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/);
    if (req.method === 'POST' && match) {
      const [, id, kind] = match;
      const pending = inflight.get(id);
      if (!pending) {
        res.writeHead(400, { 'Content-Type': 'application/json' })
            .end('{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}');
        return;
      }
      inflight.delete(id);
      let parsed;
      try { parsed = JSON.parse(body); } catch { parsed = undefined; }
      pending.resolve({ kind, body: parsed, raw: body,
                        errorType: req.headers['lambda-runtime-function-error-type'] });
      res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"OK"}');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' })
        .end('{"errorMessage":"not found","errorType":"NotFound"}');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();

  return {
    address: `127.0.0.1:${port}`,
    initErrors,
    // How many GET next requests arrived so far (the runtime is ready once it asked once).
    get nextCount() { return nextCount; },
    // Resolves once the runtime has asked for `n` invocations in total.
    waitForNext(n = 1) {
      if (nextCount >= n) return Promise.resolve(nextCount);
      return new Promise((resolve) => {
        const check = (count) => (count >= n ? resolve(count) : nextWaiters.push(check));
        nextWaiters.push(check);
      });
    },
    waitForInitError() {
      if (initErrors.length > 0) return Promise.resolve(initErrors[0]);
      return new Promise((resolve) => initErrorWaiters.push(resolve));
    },
    // Queues one event (an object or a JSON string); resolves with what the runtime posted back.
    invoke(event, { timeoutMs = 30000 } = {}) {
      const id = randomUUID();
      const body = typeof event === 'string' ? event : JSON.stringify(event);
      const result = new Promise((resolve) => inflight.set(id, { resolve }));
      const item = { id, body, deadlineMs: Date.now() + timeoutMs };
      const res = waiting.shift();
      if (res) send(res, item);
      else queue.push(item);
      return result;
    },
    async close() {
      for (const res of waiting.splice(0)) res.destroy();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
