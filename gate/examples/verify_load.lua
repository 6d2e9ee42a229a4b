-- wrk script: POST /api/verify with a distinct pre-solved body per request.
-- POOL=pool.jsonl wrk -t2 -c64 -d10s -s verify_load.lua http://127.0.0.1:8787
-- Each wrk thread takes every n-th line of the pool, so no body is sent twice while the
-- pool lasts. The requests are formatted once, in init, so that the client's per-request
-- cost stays close to a static wrk run (wrk and the server share the machine's cores).
-- There is no response() callback (it would make wrk hand every answer to Lua): a valid
-- solution must never get a non-200, and wrk's own summary counts them
-- ("Non-2xx or 3xx responses: N", printed only when N > 0).
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  prepared = {}
  local nthreads = tonumber(os.getenv("THREADS") or "2")
  local headers = {["Content-Type"] = "application/json"}
  local i = 0
  for line in io.lines(os.getenv("POOL")) do
    if i % nthreads == tid - 1 then
      prepared[#prepared + 1] = wrk.format("POST", "/api/verify", headers, line)
    end
    i = i + 1
  end
  next_prepared = 1
  exhausted = 0
end

function request()
  local r = prepared[next_prepared]
  if r == nil then
    exhausted = exhausted + 1
    return prepared[1]
  end
  next_prepared = next_prepared + 1
  return r
end

function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do
    e = e + t:get("exhausted")
  end
  io.write(string.format("requests after the pool ran out: %d\n", e))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
