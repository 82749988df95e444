-- wrk: 90% vote POSTs, 10% result GETs over polls 1..1000 (deterministic per thread).
-- Usage: wrk -s mixed.lua http://127.0.0.1:PORT
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "report.lua")

local options = { "A", "B", "C", "D" }

function init(args)
   seed(id)
   build(4096, function()
      local poll = rand(1000)
      if rand(10) == 1 then
         return wrk.format("GET", "/api/v1/results/" .. poll)
      end
      return wrk.format("POST", "/api/v1/vote/" .. poll,
                        { ["Content-Type"] = "application/json" },
                        '{"option_id":"' .. options[rand(4)] .. '"}')
   end)
end
