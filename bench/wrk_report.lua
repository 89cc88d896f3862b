-- Prints one JSON line with the figures bench/http.py reads.
-- With WRK_IDS set (a count), requests spread over /api/v1/products/<1..count>/.
local ids = tonumber(os.getenv("WRK_IDS") or "0")
local prefix = os.getenv("WRK_PREFIX") or ""

request = function()
  if ids > 0 then
    return wrk.format("GET", prefix .. math.random(1, ids) .. "/")
  end
  return wrk.format("GET")
end

done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
