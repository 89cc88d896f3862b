-- Zipf(s) product reads for wrk. Counts X-Cache values per second; prints one JSON line.
--   WRK_N: number of product ids (1..N); WRK_S: the exponent (0.99);
--   WRK_DELAY_MS: pause before each request on a connection (pacing, 0 for full speed).
local n = tonumber(os.getenv("WRK_N") or "1000000")
local s = tonumber(os.getenv("WRK_S") or "0.99")
local pause = tonumber(os.getenv("WRK_DELAY_MS") or "0")
local threads = {}

-- Inverse of the continuous approximation of the Zipf CDF (exact for s = 1 in the limit).
local function zipf()
  local u = math.random()
  if s == 1 then
    return math.floor(math.exp(u * math.log(n + 1)))
  end
  local top = ((n + 1) ^ (1 - s) - 1)
  return math.max(1, math.floor((u * top + 1) ^ (1 / (1 - s))))
end

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  -- Only strings and numbers cross from a thread to done(): finished seconds are
  -- appended to `flushed` as "second:hit:miss:other;".
  flushed, current, hit, miss, other = "", 0, 0, 0, 0
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

request = function()
  return wrk.format("GET", "/api/v1/products/" .. zipf() .. "/")
end

delay = function()
  return pause
end

response = function(status, headers, body)
  local second = os.time()
  if second ~= current then
    if current ~= 0 then
      flushed = flushed .. string.format("%d:%d:%d:%d;", current, hit, miss, other)
    end
    current, hit, miss, other = second, 0, 0, 0
  end
  local x = headers["X-Cache"] or ""
  if x == "HIT-L1" or x == "HIT-L2" or x == "STALE" then
    hit = hit + 1
  elseif x == "MISS" then
    miss = miss + 1
  else
    other = other + 1
  end
end

done = function(summary, latency, requests)
  local merged = {}
  local function add(second, h, m, o)
    local bucket = merged[second] or {0, 0, 0}
    merged[second] = {bucket[1] + h, bucket[2] + m, bucket[3] + o}
  end
  for _, thread in ipairs(threads) do
    for second, h, m, o in string.gmatch(thread:get("flushed"), "(%d+):(%d+):(%d+):(%d+);") do
      add(tonumber(second), tonumber(h), tonumber(m), tonumber(o))
    end
    add(thread:get("current"), thread:get("hit"), thread:get("miss"), thread:get("other"))
  end
  local parts = {}
  for second, m in pairs(merged) do
    if second ~= 0 then
      table.insert(parts, string.format('"%d": [%d, %d, %d]', second, m[1], m[2], m[3]))
    end
  end
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non2xx": %d, "errors": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, '
      .. '"seconds": {%s}}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), table.concat(parts, ", ")))
end
