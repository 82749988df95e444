-- wrk: GET /api/v1/results/{1..1000}, pseudo-random poll per request (deterministic per thread).
-- Usage: wrk -s results.lua http://127.0.0.1:PORT
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "report.lua")

function init(args)
   seed(id)
   build(4096, function()
      return wrk.format("GET", "/api/v1/results/" .. rand(1000))
   end)
end
