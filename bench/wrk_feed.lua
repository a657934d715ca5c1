-- wrk script of the read benchmark (bench/reads.py): GET the URL's path, each request with the
-- next bearer token of a file (one token a line; the readers of one followee bracket), each
-- thread starting at its own offset; with no file, anonymous requests (/healthz).
-- done() prints one line, "WRK_JSON {...}": requests, duration, errors and wrk's own latency
-- percentiles in microseconds.
--   wrk -t2 -c8 -d30s -s bench/wrk_feed.lua http://127.0.0.1:8765/api/socialapp/v1/feed -- tokens.txt

local tokens = {}
local counter = 0
local thread_count = 0

function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  if args[1] ~= nil then
    for line in io.lines(args[1]) do
      if #line > 0 then tokens[#tokens + 1] = line end
    end
  end
  counter = (thread_id or 0) * 7919
end

function request()
  counter = counter + 1
  if #tokens == 0 then
    return wrk.format("GET")
  end
  return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1] })
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "p99.9": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
