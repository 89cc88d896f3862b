-- One kind of a shop's reads for wrk (run three at once for the mix). Prints one JSON line.
--   WRK_KIND: detail (Zipf(0.99) over product ids 1..WRK_N), listing (a random category or the
--   whole catalog, pages 1-5, a random order) or search (one or two catalog words, pages 1-5,
--   best matches first half the time); WRK_WORDS, WRK_SLUGS: files of words and slugs.
--   Counts X-Cache per second (HIT-L1, HIT-L2 and STALE are hits).
local kind = os.getenv("WRK_KIND") or "detail"
local n = tonumber(os.getenv("WRK_N") or "1000000")
local s = 0.99
local threads = {}
local orderings = {"", "price", "-price", "name", "-name", "created_at", "-created_at", "id", "-id"}

local function lines(path)
  local out = {}
  if path then
    for line in io.lines(path) do if line ~= "" then table.insert(out, line) end end
  end
  return out
end

local words = lines(os.getenv("WRK_WORDS"))
local slugs = lines(os.getenv("WRK_SLUGS"))

local function zipf()
  local u = math.random()
  local top = ((n + 1) ^ (1 - s) - 1)
  return math.max(1, math.floor((u * top + 1) ^ (1 / (1 - s))))
end

local function pick(list) return list[math.random(#list)] end

local function path()
  if kind == "detail" then
    return "/api/v1/products/" .. zipf() .. "/"
  end
  local page = math.random(5)
  local ordering = pick(orderings)
  local query = "page=" .. page .. (ordering ~= "" and ("&ordering=" .. ordering) or "")
  if kind == "listing" then
    if math.random(#slugs + 1) == 1 then return "/api/v1/products/?" .. query end
    return "/api/v1/categories/" .. pick(slugs) .. "/products/?" .. query
  end
  local q = pick(words)
  if math.random(2) == 1 then q = q .. "+" .. pick(words) end
  if math.random(2) == 1 then query = "page=" .. page end  -- best matches first
  return "/api/v1/search/?q=" .. q .. "&" .. query
end

setup = function(thread) table.insert(threads, thread) end

init = function(args)
  flushed, current, hit, miss, other, stale = "", 0, 0, 0, 0, 0
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

request = function() return wrk.format("GET", path()) end

response = function(status, headers, body)
  local second = os.time()
  if second ~= current then
    if current ~= 0 then
      flushed = flushed .. string.format("%d:%d:%d:%d:%d;", current, hit, miss, other, stale)
    end
    current, hit, miss, other, stale = second, 0, 0, 0, 0
  end
  local x = headers["X-Cache"] or ""
  if x == "HIT-L1" or x == "HIT-L2" then
    hit = hit + 1
  elseif x == "STALE" then
    hit, stale = hit + 1, stale + 1
  elseif x == "MISS" then
    miss = miss + 1
  else
    other = other + 1  -- BYPASS (layer off), or an error without the header
  end
end

done = function(summary, latency, requests)
  local merged = {}
  local function add(second, h, m, o, st)
    local b = merged[second] or {0, 0, 0, 0}
    merged[second] = {b[1] + h, b[2] + m, b[3] + o, b[4] + st}
  end
  for _, thread in ipairs(threads) do
    for second, h, m, o, st in string.gmatch(thread:get("flushed"), "(%d+):(%d+):(%d+):(%d+):(%d+);") do
      add(tonumber(second), tonumber(h), tonumber(m), tonumber(o), tonumber(st))
    end
    add(thread:get("current"), thread:get("hit"), thread:get("miss"), thread:get("other"), thread:get("stale"))
  end
  local parts = {}
  for second, m in pairs(merged) do
    if second ~= 0 then
      table.insert(parts, string.format('"%d": [%d, %d, %d, %d]', second, m[1], m[2], m[3], m[4]))
    end
  end
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non2xx": %d, "timeouts": %d, "errors": %d, "p50_us": %d, '
      .. '"p95_us": %d, "p99_us": %d, "seconds": {%s}}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.timeout,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), table.concat(parts, ", ")))
end
