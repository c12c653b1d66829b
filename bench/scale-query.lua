-- wrk, for bench/scale.sh: a member reads one generated distribution with its versions and
-- consents, as it is now (the same nested read as query.lua, on a generated hub).
-- COHUB_TOKEN: a member's token; COHUB_DISTRIBUTION: a distribution of that member's hub.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("COHUB_TOKEN")
wrk.body = '{"query":"{ distribution(id: \\"' .. os.getenv("COHUB_DISTRIBUTION")
  .. '\\") { status versions { version } consents { version voided } } }"}'
dofile("bench/count_errors.lua")
