-- wrk: a member gives feedback on the demo idea (one durable, hash-chained append each).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("COHUB_TOKEN")
wrk.body = '{"query":"mutation { giveFeedback(input: { ideaId: \\"0c0b0000-0005-7000-8000-000000000001\\", text: { text: \\"Benchmark feedback.\\" } }) { receipt { lastPosition } } }"}'
dofile("bench/count_errors.lua")
