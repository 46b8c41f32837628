-- wrk script: every request is a POST with a body of SIZE bytes (default 10240), e.g.
--   wrk -c64 -d8s -s Benchmarks/post.lua http://127.0.0.1:8051/ -- 10240
init = function(args)
   local size = tonumber(args[1] or 10240)
   wrk.method = "POST"
   wrk.body = string.rep("x", size)
   wrk.headers["Content-Type"] = "application/octet-stream"
end
