-- wrk: counts responses that are not HTTP 200 or carry GraphQL errors, across all threads.
-- Each benchmark script loads it with dofile (run from the repository root).
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) errors = 0; conflicts = 0 end
function response(status, headers, body)
  if status ~= 200 or body:find('"errors"') then
    errors = errors + 1
    if body:find('"CONFLICT"') then conflicts = conflicts + 1 end
    if errors == 1 then io.stderr:write("first error: " .. body:sub(1, 300) .. "\n") end
  end
end
function done(summary, latency, requests)
  local total, conflicting = 0, 0
  for _, t in ipairs(threads) do
    total = total + t:get("errors")
    conflicting = conflicting + t:get("conflicts")
  end
  io.write(string.format("responses with errors: %d\n", total))
  io.write(string.format("responses with CONFLICT: %d\n", conflicting))
end
