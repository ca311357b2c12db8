-- wrk script for bench/memory_cap/run.py. Each request takes the next path of BENCH_PATHS
-- (space separated); every BENCH_POST_EVERY-th request instead saves progress (POST
-- /api/v1/progress with BENCH_PROGRESS_BODY, echoing the CSRF cookie as the hub's scripts do).
-- Every request carries BENCH_COOKIE (a returning learner). When the run ends, one
-- BENCH_JSON line gives the summary, latencies in microseconds.
local paths = {}
for path in string.gmatch(os.getenv("BENCH_PATHS") or "/", "%S+") do
  table.insert(paths, path)
end
local cookie = os.getenv("BENCH_COOKIE") or ""
local csrf = os.getenv("BENCH_CSRF") or ""
local body = os.getenv("BENCH_PROGRESS_BODY") or ""
local post_every = tonumber(os.getenv("BENCH_POST_EVERY") or "10")
local counter = 0
local threads_made = 0

function setup(thread)
  thread:set("offset", threads_made)  -- threads start at different paths
  threads_made = threads_made + 1
end

function request()
  counter = counter + 1
  local headers = {}
  if cookie ~= "" then
    headers["Cookie"] = cookie
  end
  if body ~= "" and counter % post_every == 0 then
    headers["Content-Type"] = "application/json"
    headers["X-CSRF-Token"] = csrf
    return wrk.format("POST", "/api/v1/progress", headers, body)
  end
  return wrk.format("GET", paths[(counter + (offset or 0) * 7) % #paths + 1], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "max": %d, ' ..
    '"p50": %d, "p90": %d, "p95": %d, "p99": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99)))
end
