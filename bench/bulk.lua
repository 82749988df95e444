-- wrk: POST /api/v1/votes with 1000 votes per request ({"votes":[{"poll_id","option_id"},...]}),
-- polls 1..1000 and options A-D spread pseudo-randomly (deterministic per thread). A 202 whose
-- body does not say "rejected":0 counts as an error. Votes/s = requests/s x 1000.
-- Usage: wrk -s bulk.lua http://127.0.0.1:PORT
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "report.lua")

local options = { "A", "B", "C", "D" }

function init(args)
   seed(id)
   build(16, function()
      local items = {}
      for i = 1, 1000 do
         items[i] = '{"poll_id":"' .. rand(1000) .. '","option_id":"' .. options[rand(4)] .. '"}'
      end
      return wrk.format("POST", "/api/v1/votes", { ["Content-Type"] = "application/json" },
                        '{"votes":[' .. table.concat(items, ",") .. ']}')
   end)
end

function response(status, headers, body)
   if status < 200 or status > 299 or not body:find('"rejected":0', 1, true) then
      non2xx = non2xx + 1
   end
end
