/**
 * The one Lua script behind shared budgets (shared-budget.ts), run atomically by Redis. Times come from
 * Redis's own clock (TIME), so replicas' clocks never meet; durations cross the wire, not instants.
 * Ops: `admit` (expire dead leases, take a handover, check pause / spacing / min time / concurrency /
 * sliding window, then lease or return the wait), `release` (lease → log at the answer time), `pause`,
 * `spacing`, `renew` (leases of requests still running).
 */
// KEYS: 1 log (zset member → answer time), 2 inflight (zset lease → expiry), 3 state (hash).
// ARGV: 1 op, 2 lease, 3 reservoir, 4 windowMs, 5 maxConcurrent, 6 minTimeMs, 7 leaseTtlMs,
//       8 pauseMs (admit: a pause known locally; pause: the pause), 9 spacingMs, 10 spacingForMs / pollMs,
//       11 n answered ages, 12.. ages, then in-flight leases (admit handover; renew: leases).
export const SHARED_BUDGET_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local op = ARGV[1]
local lease = ARGV[2]
local reservoir = tonumber(ARGV[3])
local window = tonumber(ARGV[4]) or 0
local maxConcurrent = tonumber(ARGV[5])
local minTime = tonumber(ARGV[6]) or 0
local ttl = tonumber(ARGV[7])
local pauseMs = tonumber(ARGV[8]) or 0

-- Keys live for the window (or a longer pause or spacing) plus the lease TTL after their last use;
-- never shortened (a renewal does not know the window).
local function keep()
  local st = redis.call('HMGET', KEYS[3], 'paused', 'spacingUntil')
  local life = math.max(window, (tonumber(st[1]) or 0) - now, (tonumber(st[2]) or 0) - now, 0) + ttl
  for i = 1, 3 do
    if redis.call('PTTL', KEYS[i]) < life then redis.call('PEXPIRE', KEYS[i], life) end
  end
end

local function pause(ms)
  if ms > 0 then
    local current = tonumber(redis.call('HGET', KEYS[3], 'paused')) or 0
    if now + ms > current then redis.call('HSET', KEYS[3], 'paused', now + ms) end
  end
end

if op == 'release' then
  redis.call('ZREM', KEYS[2], lease)
  if window > 0 then redis.call('ZADD', KEYS[1], now, lease) end
  keep()
  return 0
elseif op == 'pause' then
  pause(pauseMs)
  keep()
  return 0
elseif op == 'spacing' then
  redis.call('HSET', KEYS[3], 'spacingMs', tonumber(ARGV[9]), 'spacingUntil', now + tonumber(ARGV[10]))
  keep()
  return 0
elseif op == 'renew' then
  for i = 12, #ARGV do redis.call('ZADD', KEYS[2], 'XX', now + ttl, ARGV[i]) end
  keep()
  return 0
end

-- admit
local poll = tonumber(ARGV[10]) or 20
-- A lease that was not renewed: its replica is gone; count it as answered now.
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  if window > 0 then redis.call('ZADD', KEYS[1], now, id) end
end
pause(pauseMs)
local n = tonumber(ARGV[11]) or 0
for i = 1, n do
  local age = tonumber(ARGV[11 + i])
  if age < window then redis.call('ZADD', KEYS[1], now - age, lease .. ':h' .. i) end
end
for i = 12 + n, #ARGV do redis.call('ZADD', KEYS[2], now + ttl, ARGV[i]) end
if window > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window) end

local st = redis.call('HMGET', KEYS[3], 'paused', 'lastStart', 'spacingMs', 'spacingUntil')
local paused = tonumber(st[1]) or 0
local lastStart = tonumber(st[2]) or 0
local spacingMs = tonumber(st[3]) or 0
local spacingUntil = tonumber(st[4]) or 0
local untilAt = now
if paused > untilAt then untilAt = paused end
if minTime > 0 and lastStart > 0 and lastStart + minTime > untilAt then untilAt = lastStart + minTime end
if spacingUntil > now and spacingMs > 0 and lastStart + spacingMs > untilAt then untilAt = lastStart + spacingMs end
local inflight = redis.call('ZCARD', KEYS[2])
if maxConcurrent and inflight >= maxConcurrent and now + poll > untilAt then untilAt = now + poll end
if reservoir and window > 0 then
  local logged = redis.call('ZCARD', KEYS[1])
  local counted = logged + inflight
  if counted >= reservoir then
    local index = counted - reservoir
    if index < logged then
      local at = tonumber(redis.call('ZRANGE', KEYS[1], index, index, 'WITHSCORES')[2])
      if at + window > untilAt then untilAt = at + window end
    elseif now + poll > untilAt then
      untilAt = now + poll
    end
  end
end
local pausedLeft = math.max(0, paused - now)
if untilAt > now then
  keep()
  return {untilAt - now, pausedLeft}
end
redis.call('ZADD', KEYS[2], now + ttl, lease)
redis.call('HSET', KEYS[3], 'lastStart', now)
keep()
return {0, pausedLeft}
`
