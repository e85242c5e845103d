-- wrk script of bench/rush.py: every thread is one loopback source address (one
-- phone network) with one keep-alive connection, and plays the residents of its
-- ticket file, each tapping the claim button as the countdown page does:
--   POST /vouchers/rush/<round>/claim  X-Rush-Ticket, X-CSRFToken, X-Device-Id
-- A thread stops after its last resident; bench/rush.py then stops wrk.
-- Environment: RUSH_DIR (files written by bench/rush.py), RUSH_PROC (this wrk's
-- number), RUSH_MODE ("claim" or "hello": GET RUSH_PATH until stopped).
local dir = os.getenv("RUSH_DIR")
local proc = os.getenv("RUSH_PROC")
local mode = os.getenv("RUSH_MODE") or "claim"
local threads = {}

function setup(thread)
  local n = #threads
  local addrs = {}
  for line in io.lines(dir .. "/addr-" .. proc .. ".txt") do
    addrs[#addrs + 1] = line
  end
  -- The server listens on every loopback address of the bench's private network
  -- namespace, where a route makes each address its own source address.
  local host = addrs[n + 1]
  thread.addr = wrk.lookup(host, tostring(wrk.port))[1]
  thread:set("id", n)
  threads[n + 1] = thread
end

local requests = {}
local next_request = 0
local answered = 0
counts = {}
acks = {}
local round_id = ""

function init(args)
  if mode == "hello" then
    requests[1] = wrk.format("GET", os.getenv("RUSH_PATH"))
    response = nil  -- wrk then skips parsing the answers
    return
  end
  for line in io.lines(dir .. "/t-" .. proc .. "-" .. id .. ".txt") do
    local round, ticket, device = line:match("^(%d+) (%S+) (%S+)$")
    round_id = round
    requests[#requests + 1] = wrk.format("POST", "/vouchers/rush/" .. round .. "/claim", {
      ["X-Rush-Ticket"] = ticket,
      ["X-CSRFToken"] = "bench-csrf-token-as-read-from-the-cookie",
      ["X-Device-Id"] = device,
      ["Cookie"] = "csrftoken=bench-csrf-token-as-read-from-the-cookie",
      ["Content-Length"] = "0",
    })
  end
end

function request()
  if mode == "hello" then
    return requests[1]
  end
  next_request = next_request + 1
  if next_request > #requests then
    next_request = #requests  -- never sent: the thread stops on the last answer
  end
  return requests[next_request]
end

local function finish()
  local f = io.open(dir .. "/done-" .. proc .. "-" .. id, "w")
  f:write("")
  f:close()
  wrk.thread:stop()
end

function response(status, headers, body)
  if mode == "hello" then
    return
  end
  answered = answered + 1
  local code = body:match('"code": *"([%w_]+)"') or ("http_" .. status)
  counts[code] = (counts[code] or 0) + 1
  -- Every answer that tells the resident the packet is theirs ("ok", or a
  -- repeated tap answered with the first packet's id) is an acknowledgement;
  -- bench/rush.py counts distinct ids per round.
  if body:find('"ok": *true') then
    local ack = body:match('"id": *"([^"]+)"')
    acks[#acks + 1] = round_id .. " " .. (ack or "?")
  end
  if next_request >= #requests then
    finish()
  end
end

function done(summary, latency, requests_stats)
  if mode == "hello" then
    return
  end
  local out = io.open(dir .. "/result-" .. proc .. ".txt", "w")
  out:write(string.format("summary requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout))
  out:write(string.format("latency p50_us=%d p99_us=%d\n",
    latency:percentile(50), latency:percentile(99)))
  for _, thread in ipairs(threads) do
    local c = thread:get("counts") or {}
    for code, n in pairs(c) do
      out:write("count " .. code .. " " .. n .. "\n")
    end
    for _, a in ipairs(thread:get("acks") or {}) do
      out:write("ack " .. a .. "\n")
    end
  end
  out:close()
end
