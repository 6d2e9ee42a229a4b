-- wrk script: POST /api/verify with a distinct pre-solved body per request.
-- POOL=pool.jsonl wrk -t2 -c64 -d10s -s verify_load.lua http://127.0.0.1:8787
-- Each wrk thread takes every n-th line of the pool, so no body is sent twice while the
-- pool lasts; the summary reports non-200 answers (a valid solution must never get one).
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  local nthreads = tonumber(os.getenv("THREADS") or "2")
  local i = 0
  for line in io.lines(os.getenv("POOL")) do
    if i % nthreads == tid - 1 then bodies[#bodies + 1] = line end
    i = i + 1
  end
  next_body = 1
  non200 = 0
  exhausted = 0
end

function request()
  local b = bodies[next_body]
  if b == nil then
    exhausted = exhausted + 1
    b = bodies[1]
  else
    next_body = next_body + 1
  end
  return wrk.format("POST", "/api/verify", {["Content-Type"] = "application/json"}, b)
end

function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end

function done(summary, latency, requests)
  local n, e = 0, 0
  for _, t in ipairs(threads) do
    n = n + t:get("non200")
    e = e + t:get("exhausted")
  end
  io.write(string.format("non-200 answers: %d; requests after the pool ran out: %d\n", n, e))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
