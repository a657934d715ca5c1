-- wrk script for bench/system.py: rotating author tokens, paced open loop, raw latency histogram.
--
--   wrk -t4 -c4 -d30s -s bench/wrk/commands.lua http://127.0.0.1:PORT -- FILE RATE MIX SEED
--
-- One connection per thread (-tN -cN): each thread's Lua state then sees its requests and
-- responses strictly alternate, so it times each request itself (wrk's own histogram cannot be
-- read back per sample from Lua).
--
-- FILE: one line per author, "token username"; posts ids of existing posts as lines "post ID".
-- RATE: requests per second of each thread, i.e. connection (0: as fast as the server answers). Pacing
--   keeps a schedule (slot n at start + n / RATE) instead of sleeping after each response, so a
--   slow answer does not lower the offered rate: late slots are sent at once (open loop).
-- MIX: "posts" (only POST /posts) or "mixed" (posts, likes, comments, follows).
-- At the end it prints "LATENCY_US <us> <us> ..." (every completed request's latency, in µs),
-- "STATUSES <status>:<count> ..." and "SUMMARY <requests> <non2xx> <errors> <duration us>", which bench/system.py parses.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } timespec_t;
int clock_gettime(int clk, timespec_t *tp);
]]
local ts = ffi.new("timespec_t")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local tokens, names, posts = {}, {}, {}
local rate, mix = 0, "posts"
local next_slot = nil
local n = 0
local sent_at = nil
local intended = nil -- the paced slot of the next request: latency counts from it
samples = {} -- read by done() through thread:get
statuses = {} -- HTTP status -> count, likewise
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end
local bodies = {
  "hello world, a plain post",
  "shipping the pipeline today #cqrs #django",
  "@%s what do you think? #bench",
  "numbers at last #perf @%s @%s",
  "a quiet afternoon",
  "#café au lait",
}

function init(args)
  for line in io.lines(args[1]) do
    local kind, a, b = line:match("^(%S+) (%S+) ?(%S*)$")
    if kind == "author" then
      tokens[#tokens + 1] = a
      names[#names + 1] = b
    elseif kind == "post" then
      posts[#posts + 1] = a
    end
  end
  rate = tonumber(args[2]) or 0
  mix = args[3] or "posts"
  math.randomseed((tonumber(args[4]) or 1) * 1000 + math.floor(now_ms() % 1000))
end

function delay()
  if rate <= 0 then return 0 end
  local t = now_ms()
  if next_slot == nil then next_slot = t end
  local slot = next_slot
  next_slot = next_slot + 1000 / rate
  intended = slot
  if slot <= t then return 0 end
  return slot - t
end

local function body_text()
  local text = bodies[math.random(#bodies)]
  return string.format(text, names[math.random(#names)], names[math.random(#names)])
end

function request()
  n = n + 1
  sent_at = intended or now_ms() -- a request sent late (its connection was busy) waited from its slot
  intended = nil
  local i = math.random(#tokens)
  local headers = { ["Authorization"] = "Bearer " .. tokens[i], ["Content-Type"] = "application/json" }
  local roll = (mix == "mixed" and #posts > 0) and math.random() or 0
  if roll < 0.4 then
    return wrk.format("POST", "/api/socialapp/v1/posts", headers, '{"body": "' .. body_text() .. '"}')
  elseif roll < 0.7 then
    return wrk.format("PUT", "/api/socialapp/v1/posts/" .. posts[math.random(#posts)] .. "/like", headers)
  elseif roll < 0.85 then
    return wrk.format("POST", "/api/socialapp/v1/posts/" .. posts[math.random(#posts)] .. "/comments", headers,
      '{"body": "' .. body_text() .. '"}')
  else
    local other = (i + math.random(math.max(1, #names - 1)) - 1) % #names + 1 -- never oneself (a 400)
    return wrk.format("PUT", "/api/socialapp/v1/users/" .. names[other] .. "/follow", headers)
  end
end

function response(status, headers, body)
  if sent_at ~= nil then
    samples[#samples + 1] = math.floor((now_ms() - sent_at) * 1000)
    sent_at = nil
  end
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local parts = {}
  for _, thread in ipairs(threads) do
    for _, us in ipairs(thread:get("samples")) do parts[#parts + 1] = tostring(us) end
  end
  io.write("LATENCY_US " .. table.concat(parts, " ") .. "\n")
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + count end
  end
  local listed = {}
  for status, count in pairs(counts) do listed[#listed + 1] = status .. ":" .. count end
  io.write("STATUSES " .. table.concat(listed, " ") .. "\n")
  local e = summary.errors
  io.write(string.format("SUMMARY %d %d %d %d\n", summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout, summary.duration))
end
