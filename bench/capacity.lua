-- A private read for bench/capacity.py: GET the wrk URL as one of many logged-in shoppers.
--   WRK_COOKIES: a file of Cookie header values, one a line; each request picks one at random.
-- Prints one JSON line with the same figures as wrk_report.lua.
local cookies = {}
for line in io.lines(os.getenv("WRK_COOKIES")) do
  if line ~= "" then table.insert(cookies, line) end
end

init = function(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

request = function()
  return wrk.format("GET", nil, {Cookie = cookies[math.random(#cookies)]})
end

done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
