-- wrk script for the gateway benchmark (scripts/run-benchmarks, section gateway): every request is
-- one OpenAI-style chat completion whose scripted model asks for one `echo` tool call and then
-- answers with the tool's result (bench/gateway_emulator_script.json). The same requests go to
-- `bedrock-mcp serve` and to bench/peers/gateway_peer.mjs.
--
--   GATEWAY_BENCH_STREAM=1 GATEWAY_BENCH_KEY=k wrk -t2 -c64 -d5s --latency \
--     -s bench/gateway_bench.lua http://127.0.0.1:PORT
--
-- Environment: GATEWAY_BENCH_STREAM (1: "stream": true, SSE answer), GATEWAY_BENCH_KEY (the
-- bearer key), GATEWAY_BENCH_MODEL, GATEWAY_BENCH_SERVER (the MCP server id; the peer ignores it).
--
-- Every answer is checked: status 200 and the tool's text ("Echo: bench") in the body, so a run
-- whose loop failed (an error chunk, a missing tool round) does not count as fast. wrk counts
-- non-2xx itself; done() prints "bad_answers N" for answers that were 200 but wrong, and the first
-- one, which the benchmark script treats as a failed run.
local stream = os.getenv("GATEWAY_BENCH_STREAM") == "1"
local key = os.getenv("GATEWAY_BENCH_KEY") or "bench-key"
local model = os.getenv("GATEWAY_BENCH_MODEL") or "us.anthropic.claude-3-5-haiku-20241022-v1:0"
local server = os.getenv("GATEWAY_BENCH_SERVER") or "bench"
local expected = "Echo: bench"

local body = string.format(
  '{"model":"%s","messages":[{"role":"system","content":"You are a benchmark."},' ..
  '{"role":"user","content":"bench: call the echo tool"}],"mcp_server_ids":["%s"],' ..
  '"stream":%s,"keep_session":false,"max_tokens":512,"temperature":0}',
  model, server, stream and "true" or "false")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  first_bad = ""
  request_text = wrk.format("POST", "/v1/chat/completions", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key,
    ["X-User-ID"] = "bench",
    ["X-Response-Style"] = "openai",
  }, body)
end

function request()
  return request_text
end

function response(status, headers, body)
  if status == 200 and not string.find(body, expected, 1, true) then
    bad = bad + 1
    if first_bad == "" then first_bad = string.sub(body, 1, 400) end
  end
end

function done(summary, latency, requests)
  local total, first = 0, ""
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
    local sample = thread:get("first_bad")
    if first == "" and sample ~= nil then first = sample end
  end
  io.write(string.format("bad_answers %d\n", total))
  if total > 0 then io.write("first_bad_answer " .. string.gsub(first, "\n", "\\n") .. "\n") end
end
