-- The rush claim answered inside nginx: the same request, script and answers
-- as the Python gate (quarter/vouchers/rushgate.py), without Python.
--
-- POST /vouchers/rush/<round>/claim with X-Rush-Ticket: check the ticket's
-- HMAC-SHA256 (OpenSSL, which nginx links), run the claim script (EVALSHA of
-- redis_engine.CLAIM_LUA, the same KEYS and ARGV as RedisEngine.claim) on a
-- pooled connection, and answer with the body `answers.claim_answer` gives
-- for that outcome, rendered by `quarter.vouchers.front` when the server
-- started (quarter_front_config.lua). Anything else goes to the app servers
-- unchanged (`@app`): a lottery round, a Redis that lost the round or the
-- script, a Redis that does not answer, a cluster slot that moved (MOVED:
-- this worker then asks the new owner), an unusual device id. The Python gate
-- then does what it always does (rebuild, retry, or a 503), so this path
-- never answers what Python would not.
local ffi = require "ffi"
local b64 = require "ngx.base64"
local config = require "quarter_front_config"

ffi.cdef [[
unsigned char *HMAC(const void *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md,
                    unsigned int *md_len);
const void *EVP_sha256(void);
]]

local C = ffi.C
local digest = ffi.new("unsigned char[32]")
local digest_len = ffi.new("unsigned int[1]")
local HEX = "0123456789abcdef"

local _M = {}

-- The ticket key comes from the environment nginx was started with
-- (`quarter serve --front` derives it); without it every claim goes to Python.
local key_hex = os.getenv("QUARTER_RUSH_KEY_HEX") or ""
local KEY = key_hex:match("^%x+$") and (key_hex:gsub("%x%x", function(h)
  return string.char(tonumber(h, 16))
end)) or nil
-- Redis's password, from the same environment (never in a file).
local PASSWORD = os.getenv("QUARTER_REDIS_PASSWORD") or ""
if PASSWORD == "" then
  PASSWORD = nil
end

local function hmac_hex32(body)
  C.HMAC(C.EVP_sha256(), KEY, #KEY, body, #body, digest, digest_len)
  local out = {}
  for i = 0, 15 do
    local byte = digest[i]
    local hi, lo = math.floor(byte / 16) + 1, byte % 16 + 1
    out[i + 1] = HEX:sub(hi, hi) .. HEX:sub(lo, lo)
  end
  return table.concat(out)
end

-- Constant time: the comparison must not tell how much of a forged MAC is right.
local function same(a, b)
  if #a ~= #b then
    return false
  end
  local diff = 0
  for i = 1, #a do
    diff = bit.bor(diff, bit.bxor(a:byte(i), b:byte(i)))
  end
  return diff == 0
end

local function answer(status, body)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Cache-Control"] = "no-store"
  ngx.header["X-Content-Type-Options"] = "nosniff"
  ngx.header["X-Claim-Path"] = "gate"
  ngx.header["X-Claim-Front"] = "nginx"
  ngx.header["Content-Length"] = #body
  ngx.print(body)
  return ngx.exit(status)
end

local function to_app()
  return ngx.exec("@app")
end

local function refuse(code)
  local a = config.answers[code]
  return answer(a[1], a[2])
end

-- {body, sig} -> the ticket's fields, or nil (forged, malformed, expired).
local function read_ticket(ticket, round_id, now)
  local body, sig = ticket:match("^([%w_%-]+)%.(%x+)$")
  if not body or not same(hmac_hex32(body), sig) then
    return nil
  end
  local raw = b64.decode_base64url(body)
  if not raw then
    return nil
  end
  local r, campaign, user, resident, person, expires =
    raw:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)%.(%x+)%.(%d+)$")
  if not r or r ~= round_id or tonumber(expires) < now then
    return nil
  end
  return { campaign = campaign, user = user, resident = resident, person = person }
end

local function bulk(parts, value)
  parts[#parts + 1] = "$" .. #value .. "\r\n" .. value .. "\r\n"
end

local function command(...)
  local args = { ... }
  local parts = { "*" .. #args .. "\r\n" }
  for _, v in ipairs(args) do
    bulk(parts, v)
  end
  return parts
end

-- One RESP reply: a status, an error, an integer, a bulk string or an array
-- of bulk strings (what the claim script returns). nil, err on a broken link.
local function read_reply(sock)
  local line, err = sock:receive("*l")
  if not line then
    return nil, err
  end
  local kind, rest = line:sub(1, 1), line:sub(2)
  if kind == "+" or kind == ":" then
    return rest
  elseif kind == "-" then
    return false, rest
  elseif kind == "$" then
    local n = tonumber(rest)
    if n < 0 then
      return ngx.null
    end
    local data, e = sock:receive(n + 2)
    if not data then
      return nil, e
    end
    return data:sub(1, n)
  elseif kind == "*" then
    local out = {}
    for i = 1, tonumber(rest) do
      local item, e = read_reply(sock)
      if item == nil then
        return nil, e
      end
      out[i] = item
    end
    return out
  end
  return nil, "unexpected reply " .. kind
end

-- Redis Cluster: the hash slot of a key's tag (CRC16-XMODEM mod 16384), and
-- the primary serving it (config.cluster, then what MOVED answers taught).
local function crc16(s)
  local crc = 0
  for i = 1, #s do
    crc = bit.bxor(crc, bit.lshift(s:byte(i), 8))
    for _ = 1, 8 do
      if bit.band(crc, 0x8000) ~= 0 then
        crc = bit.band(bit.bxor(bit.lshift(crc, 1), 0x1021), 0xFFFF)
      else
        crc = bit.band(bit.lshift(crc, 1), 0xFFFF)
      end
    end
  end
  return crc
end

local slot_of = {} -- campaign id -> slot (ids come from verified tickets)
local moved = {} -- slot -> { host, port }, learned by this worker

local function owner(campaign)
  local slot = slot_of[campaign]
  if not slot then
    slot = crc16("campaign:" .. campaign) % 16384
    slot_of[campaign] = slot
  end
  local m = moved[slot]
  if m then
    return m[1], m[2]
  end
  for _, run in ipairs(config.cluster) do
    if slot >= run[1] and slot <= run[2] then
      return run[3], run[4]
    end
  end
  return nil
end

local function learn(err)
  local slot, host, port = (err or ""):match("^MOVED (%d+) (.+):(%d+)$")
  if slot then
    moved[tonumber(slot)] = { host, tonumber(port) }
  end
end

-- At most one line a minute per worker: a Redis that refuses every claim
-- must not write a line per tap of a rush.
local last_warning = 0
local function warn(...)
  local now = ngx.now()
  if now - last_warning >= 60 then
    last_warning = now
    ngx.log(ngx.ERR, "quarter front: ", ...)
  end
end

-- A connection to Redis, pooled per worker. A new one first shakes hands
-- (TLS, when the URL is rediss://), then logs in (AUTH, with the ACL user
-- name if any) and picks its database, as redis-py's connections do.
local function connect(host, port)
  local redis = config.redis
  local sock = ngx.socket.tcp()
  sock:settimeouts(redis.connect_ms, redis.read_ms, redis.read_ms)
  local ok, err = sock:connect(host, port, { pool_size = redis.pool })
  if not ok then
    return nil, err
  end
  if sock:getreusedtimes() == 0 then
    if redis.tls then
      local session, shake_err =
        sock:sslhandshake(false, redis.tls.server_name, redis.tls.verify)
      -- `false` asks for no session object, so success is `true`. On this
      -- nginx-lua (0.10.23) a failed certificate check may also return
      -- `true`, on a socket it has already closed: the first send below then
      -- fails and the claim goes to Python, so nothing reaches a server
      -- whose certificate failed.
      if session ~= true then
        warn("TLS with Redis failed (claims go to Python): ", tostring(shake_err))
        sock:close()
        return nil, shake_err
      end
    end
    local setup, steps = {}, 0
    local function add(...)
      for _, p in ipairs(command(...)) do
        setup[#setup + 1] = p
      end
      steps = steps + 1
    end
    if redis.username then
      add("AUTH", redis.username, PASSWORD or "")
    elseif PASSWORD then
      add("AUTH", PASSWORD)
    end
    if redis.db ~= "0" then
      add("SELECT", redis.db)
    end
    if steps > 0 then
      sock:send(setup)
      for _ = 1, steps do
        local reply = read_reply(sock)
        if not reply then
          warn("Redis did not take the connection (TLS check, log-in or database; claims go to Python)")
          sock:close()
          return nil, "redis set-up refused"
        end
      end
    end
  end
  return sock
end

local function shanghai_hms(ms)
  return os.date("!%H:%M:%S", math.floor(tonumber(ms) / 1000) + 8 * 3600)
end

function _M.claim()
  if not config.enabled or not KEY or ngx.req.get_method() ~= "POST" then
    return to_app()
  end
  local round_id = ngx.var.round_id
  ngx.update_time()
  local now = ngx.now()
  local ticket = read_ticket(ngx.var.http_x_rush_ticket or "", round_id, now)
  if not ticket then
    return refuse("rush_ticket_invalid")
  end
  local device = ngx.var.http_x_device_id or ""
  if #device > 64 or not device:match("^[%w%-_.:]*$") then
    return to_app() -- Python trims and stores it as it always has
  end
  local ip = ngx.var.remote_addr
  local limits = config.limits
  local bucket = math.floor(now / limits.ttl)
  local tag = "q:{campaign:" .. ticket.campaign .. "}"
  local prefix = tag .. ":round:" .. round_id
  -- clock.iso_week: the ISO week in China's time zone (UTC+8, no DST).
  local week = os.date("!%G-W%V", math.floor(now) + 8 * 3600)
  local now_ms = string.format("%d", math.floor(now * 1000))
  local host, port = config.redis.host, config.redis.port
  if config.cluster then
    host, port = owner(ticket.campaign)
    if not host then
      return to_app()
    end
  end
  local sock = connect(host, port)
  if not sock then
    return to_app()
  end
  sock:send(command(
    "EVALSHA", config.script_sha, "8",
    prefix .. ":meta", prefix .. ":stock", prefix .. ":claimers",
    prefix .. ":persons", prefix .. ":claims",
    prefix .. ":rl:u:" .. ticket.user .. ":" .. bucket,
    prefix .. ":rl:ip:" .. ip .. ":" .. bucket,
    tag .. ":week:" .. week,
    ticket.resident, ticket.person, ticket.user, now_ms, ip, device,
    limits.account, limits.ip, tostring(limits.ttl)
  ))
  local reply, err = read_reply(sock)
  if reply == nil then
    sock:close()
    return to_app() -- the script is idempotent per person: Python asks again
  end
  sock:setkeepalive(config.redis.idle_ms, config.redis.pool)
  if reply == false then
    learn(err) -- a slot moved: the next claim asks its new owner
    return to_app() -- NOSCRIPT (Redis restarted), MOVED, ASK: Python's way
  end
  if type(reply) ~= "table" then
    return to_app()
  end
  local code, value = reply[1], reply[2]
  if code == "ok" or code == "already_claimed" then
    local a = config.answers[code]
    if type(value) ~= "string" or not value:match("^%d+%-%d+$") then
      return to_app()
    end
    return answer(a[1], a[2] .. value .. a[3])
  elseif code == "packet_sold_out" then
    local a = config.answers[code]
    local at = "null"
    if type(value) == "string" and value:match("^%d+$") then
      at = '"' .. shanghai_hms(value) .. '"'
    end
    return answer(a[1], a[2] .. at .. a[3])
  elseif config.answers[code] and config.refusals[code] then
    return refuse(code)
  end
  return to_app() -- lottery_round, claim_engine_not_ready: Python's way
end

return _M
