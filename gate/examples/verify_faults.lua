-- wrk script for fault tests: POST /api/verify cycling through a pool of pre-solved
-- bodies, each sent at least twice (the first answer may be 200, every later one must be
-- 409), and count the answers by status and the challenge ids accepted
-- twice (a thread sends only its share of the pool, so its own tally sees every repeat).
-- POOL=pool.jsonl THREADS=2 wrk -t2 -c16 -d8s -s verify_faults.lua http://127.0.0.1:8787
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
  s200, s409, s503, other, twice = 0, 0, 0, 0, 0
  accepted = {}
end

-- Each body is sent twice in a row (on two connections, so often at once), then the next:
-- fresh bodies keep coming however fast or slow the run, and every one is also replayed.
function request()
  local b = bodies[next_body]
  sent = (sent or 0) + 1
  if sent % 2 == 0 then next_body = next_body % #bodies + 1 end
  return wrk.format("POST", "/api/verify", {["Content-Type"] = "application/json"}, b)
end

function response(status, headers, body)
  if status == 200 then
    s200 = s200 + 1
    local id = body:match('"id":"([^"]*)"')
    if id == nil or accepted[id] then twice = twice + 1 end
    if id ~= nil then accepted[id] = true end
  elseif status == 409 then s409 = s409 + 1
  elseif status == 503 then s503 = s503 + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local a, b, c, d, e = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("s200")
    b = b + t:get("s409")
    c = c + t:get("s503")
    d = d + t:get("other")
    e = e + t:get("twice")
  end
  io.write(string.format("status 200: %d\nstatus 409: %d\nstatus 503: %d\nstatus other: %d\naccepted twice: %d\n", a, b, c, d, e))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
