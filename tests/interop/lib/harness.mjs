// Shared helpers for the interoperability tests: start the real bedrock-mcp binary (or any
// command) as a child process, wait for the line that says where it listens, and always clean up.
//
//   const server = await startBinary(['mcp-server', 'everything', '--transport', 'http',
//                                     '--port', '0']);
//   ... use server.url ...
//   await server.stop();
//
// Every subcommand that serves logs `listening url=<url>` on stderr once its socket is bound; that
// line, not a sleep, is the readiness signal.
import { spawn } from 'node:child_process';
import path from 'node:path';

export const binary = process.env.BEDROCK_MCP_BINARY ??
    path.resolve(import.meta.dirname, '../../../build/release/bin/bedrock-mcp');
export const sourceDir = process.env.BEDROCK_SOURCE_DIR ??
    path.resolve(import.meta.dirname, '../../..');
export const buildDir = process.env.BEDROCK_BUILD_DIR ?? path.join(sourceDir, 'build/release');
export const nodeBinary = process.env.BEDROCK_NODE ?? process.execPath;

// Starts `command args` and resolves once a stderr line matches `ready` (a RegExp whose first
// group, if any, becomes `url`). Rejects with the captured stderr when the child exits first or
// `timeoutMs` passes.
export function startProcess(command, args, { env, cwd, ready = /listening url=(\S+)/,
                                              timeoutMs = 30000 } = {}) {
  const child = spawn(command, args, {
    env: env ?? process.env, cwd, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  const stop = async (signal = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} not ready after ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    let resolved = false;
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (resolved) return;
      const match = stderr.match(ready);
      if (match) {
        resolved = true;
        clearTimeout(timer);
        resolve({
          child, url: match[1], stop,
          get stderr() { return stderr; },
          get stdout() { return stdout; },
        });
      }
    });
    child.once('exit', (code, signal) => {
      if (resolved) return;
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code ?? signal}) before ready; stderr:\n${stderr}`));
    });
  });
}

// Starts the bedrock-mcp binary with `args` (see startProcess for options).
export function startBinary(args, options = {}) {
  return startProcess(binary, args, options);
}

// Runs a command to completion and returns {code, stdout, stderr}.
export function runProcess(command, args, { env, cwd, input, timeoutMs = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: env ?? process.env, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out; stderr:\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, signal, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

// Runs the bedrock-mcp binary to completion.
export function runBinary(args, options = {}) {
  return runProcess(binary, args, options);
}
