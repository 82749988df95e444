-- wrk: POST /api/v1/vote/{1..1000} with {"option_id":"A".."D"}, spread pseudo-randomly
-- (deterministic per thread). Usage: wrk -s vote.lua http://127.0.0.1:PORT
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "report.lua")

local options = { "A", "B", "C", "D" }

function init(args)
   seed(id)
   build(4096, function()
      return wrk.format("POST", "/api/v1/vote/" .. rand(1000),
                        { ["Content-Type"] = "application/json" },
                        '{"option_id":"' .. options[rand(4)] .. '"}')
   end)
end
