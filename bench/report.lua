-- Shared by the wrk scripts: counts non-2xx responses per thread and prints a
-- summary plus one machine-readable "RESULT" line (read by run.sh) in done().

local threads = {}

function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

non2xx = 0

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

-- Deterministic per-thread pseudo-random generator (Park-Miller, exact in doubles),
-- seeded from the thread id: rand(n) returns 1..n.
local state = 1
function seed(n) state = 12345 + n * 7919 end
function rand(n)
   state = state * 16807 % 2147483647
   return state % n + 1
end

-- Each thread cycles through a fixed list of pre-built requests.
local requests, nextIndex = {}, 0
function build(count, make)
   for i = 1, count do requests[i] = make() end
end
function request()
   nextIndex = nextIndex % #requests + 1
   return requests[nextIndex]
end

function done(summary, latency)
   local bad = 0
   for _, thread in ipairs(threads) do bad = bad + thread:get("non2xx") end
   local e = summary.errors
   local socket = e.connect + e.read + e.write + e.timeout
   local rps = summary.requests / (summary.duration / 1e6)
   print(string.format("non-2xx responses: %d, socket errors: %d (connect %d, read %d, write %d, timeout %d)",
                       bad, socket, e.connect, e.read, e.write, e.timeout))
   print(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d requests=%d",
                       rps, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
                       bad, socket, summary.requests))
end
