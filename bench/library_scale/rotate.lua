-- wrk script for bench/library_scale: each request takes the next of BENCH_PATHS ("|"-separated)
-- and the next reader language of BENCH_LANGS (Accept-Language), so four readers' pages and
-- caches are exercised in turn; optional Cookie; one machine-readable summary line at the end.
local paths, langs, n = {}, {}, 0
for p in string.gmatch(os.getenv("BENCH_PATHS") or "/", "[^|]+") do table.insert(paths, p) end
for l in string.gmatch(os.getenv("BENCH_LANGS") or "en", "[^,]+") do table.insert(langs, l) end
local cookie = os.getenv("BENCH_COOKIE")

function request()
  n = n + 1
  local headers = {["Accept-Language"] = langs[(n % #langs) + 1]}
  if cookie and cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("GET", paths[(n % #paths) + 1], headers)
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
