-- wrk script for every native-bench run, set through the environment:
--   WRK_METHOD           request method (default GET)
--   WRK_BODY_BYTES       request body of this many bytes (default none)
--   WRK_RATE_PER_THREAD  fixed rate: requests/s this wrk thread offers; unset or 0 = closed loop
--   WRK_THINK_MS         fixed rate without LuaJIT's ffi: mean think time per connection
--   WRK_HEADERS          extra request headers, one "Name: value" per line
-- done() prints one line `WRK_JSON {...}` with the latency percentiles in microseconds.

local method = os.getenv("WRK_METHOD")
local body_bytes = tonumber(os.getenv("WRK_BODY_BYTES") or "0") or 0
local rate = tonumber(os.getenv("WRK_RATE_PER_THREAD") or "0") or 0
local think_ms = tonumber(os.getenv("WRK_THINK_MS") or "0") or 0
local pacing = "closed-loop"

if method and method ~= "" then
  wrk.method = method
end
for line in (os.getenv("WRK_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end
if body_bytes > 0 then
  wrk.body = string.rep("x", body_bytes)
  wrk.headers["Content-Type"] = "application/octet-stream"
end

-- wrk paces a connection only when a delay() function exists: define it for fixed-rate runs only.
-- delay() runs when a connection's answer has arrived and returns how many ms it waits before
-- its next request.
local has_ffi, ffi = pcall(require, "ffi")
if rate > 0 and has_ffi then
  -- A schedule of one slot every 1000/rate ms for the whole thread: each connection that is
  -- done takes the next free slot, so the offered rate does not depend on the proxy's latency
  -- (plain think time would offer less to a slower proxy). A thread that falls behind does not
  -- catch up in a burst.
  pacing = "schedule"
  ffi.cdef [[
    struct nb_timespec { long tv_sec; long tv_nsec; };
    int clock_gettime(int clock_id, struct nb_timespec *tp);
  ]]
  local CLOCK_MONOTONIC = 1
  local ts = ffi.new("struct nb_timespec")
  local interval = 1000 / rate
  local slot = nil
  function delay()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    local now = tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
    slot = slot and math.max(slot + interval, now) or now
    return math.floor(slot - now + 0.5)
  end
elseif rate > 0 and think_ms > 0 then
  -- Without ffi there is no clock: think time, jittered 0.5x to 1.5x so that the connections do
  -- not fire in lockstep. Offers about connections / (think + latency).
  pacing = "think-time"
  math.randomseed(os.time())
  function delay()
    return math.floor(think_ms * (0.5 + math.random()) + 0.5)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"pacing":"%s","requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%.1f,"p90":%.1f,"p99":%.1f,"p999":%.1f,"max":%.1f,"mean":%.2f}}\n',
    pacing, summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
