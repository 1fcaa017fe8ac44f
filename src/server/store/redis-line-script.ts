/**
 * The Lua of the fleet's line (see redis-admission.ts for the state it keeps and the test that checks it against the
 * TypeScript reference). One script for every op, so each runs atomically in Redis and the store's ops are built from
 * the very functions the differential test drives.
 */

/**
 * KEYS: state hash, evidence list, recent list, leases (sorted set: lease id → expiry), waiting (sorted set: request id
 * → its order), alive (sorted set: waiting id → when it is presumed gone), abandon mark of the request and its
 * ticket (store ops).
 * ARGV: op, now ('' = Redis TIME), initial, min, max (-1 = none), decrease, evidenceMs, minClosedMs, maxClosedMs, ttlMs,
 * then per op (from ARGV[11]):
 *   turn: — → 'go' | 'probe' | 'wait'            send: probe, lease id, leaseMs → {level, epoch, probeId}
 *   accepted: level, epoch, probeId, binding       refused: level, epoch, probeId, retryAfterMs (-1 = none) → verdict
 *   finish: probeId, lease id                      snapshot: — → {state, reopenAt, limit, inFlight}
 *   admit: id, order ('' = a new one, or the ticket's), leaseMs, aliveMs, '1' to use the ticket (KEYS[8])
 *     → {1, level, epoch, probeId, order, limit} | {0, closedMs, ahead, order, limit} | {-1} (abandoned)
 *   accept: level, epoch, probeId                  settle: lease id, level, epoch, probeId, outcome, retryAfterMs,
 *                                                    accepted ('1': already)   (outcome: ok | refused | neutral)
 *   renew: lease id, leaseMs → 1 | 0              abandon: id, leaseMs
 *   leave: id, ticketMs ('' = no ticket), order: keeps the place under the ticket (KEYS[8]) for ticketMs
 * The ops the differential test drives (turn … snapshot) are the reference's events; the store's (admit … abandon)
 * only combine them, so the fleet runs exactly what the test checks. Calls in flight are the live leases: a lease
 * expires unless renewed, so a crashed instance's calls stop counting after leaseMs, and its waiters leave the line
 * once they stop asking (aliveMs).
 */
export const LINE_CONTROL = `
local op = ARGV[1]
local t = redis.call('TIME')
local tnow = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local now = tnow
if ARGV[2] ~= '' then now = tonumber(ARGV[2]) end
local minL = math.max(1, tonumber(ARGV[4]))
local maxL = tonumber(ARGV[5])
if maxL < 0 then maxL = math.huge end
maxL = math.max(minL, maxL)
local decrease = math.min(0.99, math.max(0.1, tonumber(ARGV[6])))
local evidenceMs = tonumber(ARGV[7])
local minClosed = tonumber(ARGV[8])
local maxClosed = math.max(minClosed, tonumber(ARGV[9]))
local ttl = tonumber(ARGV[10])
local H, EV, RC, LEASES, WAITING, ALIVE, MARK, TICKET = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]

if op == 'abandon' then
  -- A request that went on without Redis: whatever its late commands took (a lease, a place) is given back, and
  -- its mark makes any later one take nothing.
  redis.call('SET', MARK, '1', 'PX', ARGV[12])
  redis.call('ZREM', LEASES, ARGV[11])
  redis.call('ZREM', WAITING, ARGV[11])
  redis.call('ZREM', ALIVE, ARGV[11])
  return 1
elseif op == 'leave' then
  redis.call('ZREM', WAITING, ARGV[11])
  redis.call('ZREM', ALIVE, ARGV[11])
  -- Turned away: its ticket keeps its place for its return.
  if ARGV[12] ~= '' then redis.call('SET', TICKET, ARGV[13], 'PX', ARGV[12]) end
  return 1
elseif op == 'renew' then
  if not redis.call('ZSCORE', LEASES, ARGV[11]) then return 0 end
  redis.call('ZADD', LEASES, 'XX', tnow + tonumber(ARGV[12]), ARGV[11])
  redis.call('PEXPIRE', LEASES, ttl)
  return 1
end

local function num(field, default)
  local v = redis.call('HGET', H, field)
  if v then return tonumber(v) end
  return default
end
local function put(field, value) redis.call('HSET', H, field, string.format('%.17g', value)) end

local limit = num('limit', math.min(maxL, math.max(minL, tonumber(ARGV[3]))))
local epoch = num('epoch', 0)
local state = num('state', 0) -- 0 open, 1 closed, 2 probing
local reopenAt = num('reopenAt', 0)
local streak = num('streak', 0)
local probeOut = num('probeOut', 0)
local currentProbe = num('currentProbe', 0)
local probes = num('probes', 0)
local since = num('since', 0)
local inARow = num('inARow', 0)
local refusedN = num('refusedN', 0)
local notOurs = num('notOurs', 0)
local value = function() return math.max(1, math.floor(limit)) end

-- In flight: the leases still alive (Redis's own clock, whatever time drives the control).
redis.call('ZREMRANGEBYSCORE', LEASES, '-inf', tnow)
local inFlight = redis.call('ZCARD', LEASES)
-- The probe's lease expired (its instance died): it is no longer out.
if probeOut ~= 0 and not redis.call('ZSCORE', LEASES, redis.call('HGET', H, 'probeLease') or '') then probeOut = 0 end

local function save()
  put('limit', limit) put('epoch', epoch) put('state', state) put('reopenAt', reopenAt) put('streak', streak)
  put('probeOut', probeOut) put('currentProbe', currentProbe) put('probes', probes) put('since', since) put('inARow', inARow)
  put('refusedN', refusedN) put('notOurs', notOurs)
  for i = 1, 6 do redis.call('PEXPIRE', KEYS[i], ttl) end
end

local function remember(refused)
  redis.call('RPUSH', RC, refused and '1' or '0')
  if refused then inARow = inARow + 1; refusedN = refusedN + 1 else inARow = 0 end
  if redis.call('LLEN', RC) > 16 then
    if redis.call('LPOP', RC) == '1' then refusedN = refusedN - 1 end
  end
end

local function split(entry)
  local at, level = string.match(entry, '^([^:]+):(.+)$')
  return tonumber(at), tonumber(level)
end

local function turn()
  if state == 1 and now >= reopenAt then state = 2 end
  if state == 1 or inFlight >= value() then return 'wait' end
  if state == 2 then if probeOut ~= 0 then return 'wait' end return 'probe' end
  return 'go'
end

local function send(probe, id, leaseMs)
  redis.call('ZADD', LEASES, tnow + leaseMs, id)
  inFlight = inFlight + 1
  local probeId = 0
  if probe then
    probes = probes + 1; probeId = probes; currentProbe = probeId; probeOut = 1
    redis.call('HSET', H, 'probeLease', id)
  end
  return {inFlight, epoch, probeId}
end

local function accepted(level, probeId, binding)
  remember(false)
  while true do
    local back = redis.call('LINDEX', EV, -1)
    if not back then break end
    local _, l = split(back)
    if l > level then break end
    redis.call('RPOP', EV)
  end
  redis.call('RPUSH', EV, string.format('%.17g:%.17g', now, level))
  if binding then
    since = since + 1
    local step
    if since > limit then step = 1 else step = 1 / limit end
    limit = math.min(maxL, limit + step)
  end
  if probeId ~= 0 and probeId == currentProbe then
    probeOut = 0
    if state == 2 then state = 0; streak = 0 end
  end
end

local function refused(level, callEpoch, probeId, retryAfter)
  local before = value()
  local result
  local wasProbe = probeId ~= 0 and probeId == currentProbe
  if wasProbe then probeOut = 0 end
  remember(true)
  local n = redis.call('LLEN', RC)
  local flooded = inARow >= 6 or (n >= 8 and refusedN / n >= 0.9)
  local loose = level < math.floor(limit * decrease) and refusedN / n < 0.5
  local highest = 0
  while true do
    local front = redis.call('LINDEX', EV, 0)
    if not front then break end
    local at, l = split(front)
    if at >= now - evidenceMs then highest = l; break end
    redis.call('LPOP', EV)
  end
  if flooded then redis.call('DEL', EV) end
  if not flooded and (loose or highest >= level) then
    notOurs = notOurs + 1
    result = 'not-ours'
  elseif callEpoch ~= epoch then
    result = 'same-wave'
  else
    limit = math.min(maxL, math.max(minL, math.min(limit, level - 1) * decrease))
    epoch = epoch + 1
    since = 0
    result = 'cut'
  end
  local atTheEdge = state == 0 and level >= before and retryAfter < 0 and not flooded and value() < before
  if result == 'cut' and not atTheEdge then
    local ms = math.max(math.max(retryAfter, 0), math.min(maxClosed, minClosed * 2 ^ streak))
    streak = streak + 1
    state = 1
    reopenAt = now + ms
  elseif result == 'not-ours' and wasProbe and state == 2 then
    state = 0
  end
  return result
end

local function finish(probeId, id)
  if redis.call('ZREM', LEASES, id) == 1 then inFlight = inFlight - 1 end
  if probeId ~= 0 and probeId == currentProbe then probeOut = 0 end
end

-- Someone is waiting: waiters that stopped asking (their instance died) are dropped first.
local function waiting()
  local gone = redis.call('ZRANGEBYSCORE', ALIVE, '-inf', tnow)
  for _, id in ipairs(gone) do redis.call('ZREM', WAITING, id) end
  redis.call('ZREMRANGEBYSCORE', ALIVE, '-inf', tnow)
  return redis.call('ZCARD', WAITING)
end

local result = 'ok'
if op == 'turn' then
  result = turn()
elseif op == 'send' then
  result = send(ARGV[11] == '1', ARGV[12], tonumber(ARGV[13]))
elseif op == 'accepted' then
  accepted(tonumber(ARGV[11]), tonumber(ARGV[13]), ARGV[14] == '1')
elseif op == 'refused' then
  result = refused(tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14]))
elseif op == 'finish' then
  finish(tonumber(ARGV[11]), ARGV[12])
elseif op == 'snapshot' then
  local names = {'open', 'closed', 'probing'}
  return {names[state + 1], string.format('%.17g', reopenAt), value(), inFlight}
elseif op == 'admit' then
  if redis.call('EXISTS', MARK) == 1 then return {-1} end
  local id = ARGV[11]
  local order = ARGV[12]
  if order == '' and ARGV[15] == '1' then
    local kept = redis.call('GET', TICKET)
    if kept then
      redis.call('DEL', TICKET)
      order = kept
    end
  end
  if order == '' then order = redis.call('HINCRBY', H, 'orders', 1) else order = tonumber(order) end
  waiting()
  redis.call('ZADD', WAITING, 'NX', order, id)
  redis.call('ZADD', ALIVE, tnow + tonumber(ARGV[14]), id)
  local go = turn()
  local ahead = redis.call('ZRANK', WAITING, id)
  -- Fleet-wide order: only the first waiters go, as many as there is room for (the probe goes alone).
  local room = 0
  if go == 'probe' then room = 1 elseif go == 'go' then room = value() - inFlight end
  if ahead < room then
    redis.call('ZREM', WAITING, id)
    redis.call('ZREM', ALIVE, id)
    local call = send(go == 'probe', id, tonumber(ARGV[13]))
    result = {1, call[1], call[2], call[3], order, value()}
  else
    local closedMs = 0
    if state == 1 then closedMs = reopenAt - now end
    result = {0, closedMs, ahead, order, value()}
  end
elseif op == 'accept' then
  accepted(tonumber(ARGV[11]), tonumber(ARGV[13]), waiting() > 0)
elseif op == 'settle' then
  local probeId = tonumber(ARGV[14])
  finish(probeId, ARGV[11])
  if ARGV[15] == 'refused' then
    result = refused(tonumber(ARGV[12]), tonumber(ARGV[13]), probeId, tonumber(ARGV[16]))
  elseif ARGV[15] == 'ok' and ARGV[17] ~= '1' then
    accepted(tonumber(ARGV[12]), probeId, waiting() > 0)
  end
end
save()
return result
`;
