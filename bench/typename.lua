-- wrk: the smallest query, `{__typename}`, with a member's token if COHUB_TOKEN is set (so
-- that the cost of checking the token shows beside the same query without one).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("COHUB_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
wrk.body = '{"query":"{ __typename }"}'
dofile("bench/count_errors.lua")
