-- wrk script: send DEPTH requests per write (default 16), e.g.
--   wrk -c64 -d8s --latency -s Benchmarks/pipeline.lua http://127.0.0.1:8051/ -- 16
-- wrk counts the requests in the buffer, so it reads DEPTH responses (each one counted in "requests")
-- before it writes the next batch. Its latency figures are per batch: last response minus the write.
local depth = 16

init = function(args)
   depth = tonumber(args[1] or depth)
   local batch = {}
   for i = 1, depth do
      batch[i] = wrk.format()
   end
   req = table.concat(batch)
end

request = function()
   return req
end
