-- wrk: a member reads the demo hub's distribution with its consents (read models, no writes).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("COHUB_TOKEN")
wrk.body = '{"query":"{ distribution(id: \\"0c0b0000-0006-7000-8000-000000000001\\") { status versions { version } consents { version voided } } }"}'
dofile("bench/count_errors.lua")
