-- wrk script: GET /health built per request through Lua, the same client-side path as
-- verify_load.lua, so the two rates compare the server's work and not wrk's.
function request()
  return wrk.format("GET", "/health")
end
