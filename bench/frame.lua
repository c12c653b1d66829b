-- wrk: a member frames a new problem (a new stream each time: one durable append each).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("COHUB_TOKEN")
wrk.body = '{"query":"mutation { frameProblem(input: { hubId: \\"0c0b0000-0001-7000-8000-000000000001\\", framing: { title: { text: \\"Benchmark problem\\" }, statement: { text: \\"A statement.\\" }, affected: { text: \\"Residents\\" }, place: { text: \\"Sandwell\\" } } }) { receipt { lastPosition } } }"}'
dofile("bench/count_errors.lua")
