-- Prints one JSON line with the figures bench/http.py and bench/capacity.py read.
-- With WRK_IDS set (a count), requests spread over /api/v1/products/<1..count>/.
-- With WRK_COOKIES set (a file of Cookie header values, one a line), each request is one of
-- those logged-in shoppers, picked at random.
local ids = tonumber(os.getenv("WRK_IDS") or "0")
local prefix = os.getenv("WRK_PREFIX") or ""
local cookies = {}
if os.getenv("WRK_COOKIES") then
  for line in io.lines(os.getenv("WRK_COOKIES")) do
    if line ~= "" then table.insert(cookies, line) end
  end
end

init = function(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

request = function()
  local headers = nil
  if #cookies > 0 then headers = {Cookie = cookies[math.random(#cookies)]} end
  if ids > 0 then
    return wrk.format("GET", prefix .. math.random(1, ids) .. "/", headers)
  end
  return wrk.format("GET", nil, headers)
end

done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
