/**
 * The Lua of the fleet's lines (see redis-admission.ts for the state they keep and the test that checks them against
 * the TypeScript reference). One script for every op, so each runs atomically in Redis and the store's ops are built
 * from the very functions the differential test drives.
 */

/**
 * KEYS, in three groups (lineKeys in redis-admission.ts builds them):
 *  - the model's line: 1 state hash, 2 evidence list, 3 recent list, 4 leases (sorted set: lease id → expiry),
 *    5 interactive lane and 6 background lane (sorted sets: `<order>:<request id>` → its order, or its turn with
 *    users), 7 alive (sorted set: waiting id → when it is presumed gone);
 *  - the app's room, shared by every model's line: 8 a hash (the order counter; `n:<entry>`, how many waiters a ready
 *    entry's line would let go), 9 every model's leases (the ceiling counts them), 10 ready (one entry per line and
 *    lane whose waiters the line would let go, held back by the ceiling; score lane × 2^50 + its first waiter's
 *    order), 11 when each ready entry is presumed gone;
 *  - the request's: 12 its abandon mark, 13 its ticket (store ops);
 *  - 14 the model's background leases (a subset of 4: background-room.ts needs background's calls on the wire);
 *  - 15 and 16 the users' last turns in the interactive and background lanes (sorted sets: user → tag, fair-turns.ts);
 *  - 17 the request's user's places (sorted set: request id → when it is presumed gone), the app's, shared by every
 *    model's line and every instance: `maxPerUser` counts them (hold), so a user holds that many places in the whole
 *    fleet, not per instance. A place lives aliveMs unless held again (hold-places), so a dead instance's lapse.
 * A script touches one model's keys and the app's, never two models' lines at once. (Redis Cluster is not supported:
 * the keys carry no common hash tag, so one script's keys may live on different nodes.)
 * ARGV: op, now ('' = Redis TIME), initial, min, max (-1 = none), decrease, evidenceMs, minClosedMs, maxClosedMs, ttlMs,
 * ceiling (calls in flight for every model together, -1 = none), the tuning sheet (LINE_TUNING of admission/defaults.ts
 * as JSON: the script has no number of its own, test/server/redis/lua-numbers.test.ts checks it), then per op (P[1],
 * P[2], … = ARGV[13], ARGV[14], …):
 *   turn: — → 'go' | 'probe' | 'wait'            send: probe, lease id, leaseMs → {level, epoch, probeId, resend}
 *   accepted: level, epoch, probeId, binding, backlogMs, resend
 *                                                  refused: level, epoch, probeId, retryAfterMs (-1 = none), backlogMs,
 *                                                    resend → verdict
 * A call's `resend` ('1') marks the resend of a refusal the line excused (limit.ts, resendOutcomes).
 *   finish: probeId, lease id                      snapshot: — → {state, reopenAt, limit, inFlight, queued, share}
 * A level is returned as a string (below one call it is the paced share, a fraction; Redis would truncate a number).
 *   admit: id, order ('' = a new one, or the ticket's), leaseMs, aliveMs, '1' to use the ticket (KEYS[13]),
 *          '1' for the background lane, '1' when its instance has no slot of its own for it (it stands aside,
 *          keeping its order), its turn among users ('' = none yet), its user ('' = the line tells no users apart)
 *     → {1, level, epoch, probeId, order, limit, tag, outage, resend} | {0, closedMs, ahead, order, limit, expectedWaitMs, tag}
 *       | {-1} (abandoned)
 *   accept: level, epoch, probeId, resend          settle: lease id, level, epoch, probeId, outcome, retryAfterMs,
 *                                                    accepted ('1': already), resend   (outcome: ok | refused | neutral)
 *   renew: lease id, leaseMs → 1 | 0              abandon: id, leaseMs
 *   leave: id, ticketMs ('' = no ticket), order, tag, user: keeps the place under the ticket (KEYS[13]) for
 *          ticketMs, for that user only
 * Users, as line.ts and fair-turns.ts: a lane of a line whose requests name users is ordered by turn (tag), ties by
 * arrival (a lane's member is the zero-padded order, then the id: equal scores sort by member), instead of by order;
 * a ticket is `order:tag:user`. The line's hash maps `q:<id>` to the member.
 *   hold: id, maxPerUser, aliveMs, '1' to take it whatever the user holds (a request Claude turned away keeps its
 *         place, as line.ts) → the places the user holds with it | {0, closedMs, expectedWaitMs} (it holds maxPerUser
 *         already; the expected wait is for its place that goes first in this model's line)
 *   hold-places: aliveMs, then ids, one per key from KEYS[17] on (each id's user's places; made again if Redis lost
 *         them) → how many were held
 *   admit takes the place back when the request goes; leave and abandon leave it to the store (it gives it back).
 * The ops the differential test drives (turn … snapshot) are the reference's events; the store's (admit … abandon)
 * only combine them, so the fleet runs exactly what the test checks. Calls in flight are the live leases: a lease
 * expires unless renewed, so a crashed instance's calls stop counting after leaseMs, and its waiters leave the line
 * once they stop asking (aliveMs).
 *
 * Lanes and room, as line.ts and lines.ts: a waiter goes when its line's turn lets it (interactive ones in order;
 * background ones only when no interactive one waits, leaving two of the line's free slots to people, one when its
 * limit is 2, none at 1) and, under a ceiling, when the room has a slot for it among the waiters every line would let go, interactive
 * first then oldest (a background one leaves two of the room's slots free, one when the ceiling is 2). A 529 met
 * while background work is on the wire is blamed on it as background-room.ts says (settle): the window stays open,
 * people wait under the room Claude showed while background is on the wire, background keeps two of its slots free
 * and is held until the next answer. Waiting is polling,
 * so where the reference hands a freed slot to the oldest waiter at once, here the oldest takes it on its next ask.
 */
export const LINE_CONTROL = `
-- Numbers of structure, not of tuning (the only ones the script spells; lua-numbers.test.ts lists them).
local MS_PER_S, US_PER_MS = 1000, 1000
local OPEN, CLOSED, PROBING = 0, 1, 2
local LINE_KEY_COUNT, FIRST_P = 11, 13
local HALF = 0.5 -- rounds to the nearest whole
local PLACES_KEY = 17 -- KEYS[17]: the user's places; hold-places passes more users' after it
-- A ready entry's score: interactive waiters before background ones, then the oldest (orders stay far below 2^50).
local LANE_SCORE = 2 ^ 50

local op = ARGV[1]
local t = redis.call('TIME')
local tnow = tonumber(t[1]) * MS_PER_S + math.floor(tonumber(t[2]) / US_PER_MS)
local now = tnow
if ARGV[2] ~= '' then now = tonumber(ARGV[2]) end
local T = cjson.decode(ARGV[12])
local initialL = tonumber(ARGV[3])
local minL = math.max(T.lowestFloor, tonumber(ARGV[4]))
local maxL = tonumber(ARGV[5])
if maxL < 0 then maxL = math.huge end
maxL = math.max(minL, maxL)
local decrease = math.min(T.decreaseMax, math.max(T.decreaseMin, tonumber(ARGV[6])))
local evidenceMs = tonumber(ARGV[7])
local minClosed = tonumber(ARGV[8])
local maxClosed = math.max(minClosed, tonumber(ARGV[9]))
local ttl = tonumber(ARGV[10])
local ceiling = tonumber(ARGV[11])
local P = {}
for i = FIRST_P, #ARGV do P[i - FIRST_P + 1] = ARGV[i] end
-- The model's line.
local H, EV, RC, LEASES, LANE_I, LANE_B, ALIVE = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
-- The app's room, shared by every model's line.
local ROOM, ROOM_LEASES, READY, READY_ALIVE = KEYS[8], KEYS[9], KEYS[10], KEYS[11]
-- The request's.
local MARK, TICKET = KEYS[12], KEYS[13]
-- The model's background leases (background-room.ts).
local BG_LEASES = KEYS[14]
-- The users' last turns per lane (fair-turns.ts).
local TURNS_I, TURNS_B = KEYS[15], KEYS[16]
-- The request's user's places, every model's and every instance's (maxPerUser).
local PLACES = KEYS[PLACES_KEY]
-- background-room.ts's numbers.
local BACKGROUND_SPARE, ROOM_GROWTH_ROUNDS, EVIDENCE_MS = T.backgroundSpare, T.roomGrowthRounds, T.roomEvidenceMs

-- The model's line state (limit, window, pacing, trouble, rate: every field num() reads below) is one MessagePack map
-- in the hash's 'st' field, read once and written once per command: with a field each (about 40 reads and 40 writes),
-- a command cost Redis 117-139 µs, packed 64 (the script's whole run, measured with INFO commandstats).
local stored = {}
do
  local packed = redis.call('HGET', H, 'st')
  if packed then stored = cmsgpack.unpack(packed) end
end
local function store(state) redis.call('HSET', H, 'st', cmsgpack.pack(state)) end
-- Nobody waits in the model's line any more: since when someone has is forgotten.
local function noBacklog()
  if stored.backlogSince ~= nil and redis.call('ZCARD', LANE_I) + redis.call('ZCARD', LANE_B) == 0 then
    stored.backlogSince = nil
    store(stored)
  end
end

-- A request leaves every queue it may be in (its line's lanes, the room's ready set).
local function unqueue(id)
  local member = redis.call('HGET', H, 'q:' .. id) or id
  redis.call('HDEL', H, 'q:' .. id)
  redis.call('ZREM', LANE_I, member)
  redis.call('ZREM', LANE_B, member)
  redis.call('ZREM', ALIVE, id)
end

-- The room's entry for this line's lane (see markReady), and how many of its waiters it would let go.
local function readyName(background)
  if background then return H .. '|b' end
  return H .. '|i'
end
local function unready(name)
  redis.call('ZREM', READY, name)
  redis.call('ZREM', READY_ALIVE, name)
  redis.call('HDEL', ROOM, 'n:' .. name)
end
-- Waiters left: the line's entries let no more go than wait.
local function clampReady()
  for _, background in ipairs({false, true}) do
    local name, lane = readyName(background), LANE_I
    if background then lane = LANE_B end
    local n = redis.call('HGET', ROOM, 'n:' .. name)
    if n then
      local size = redis.call('ZCARD', lane)
      if size == 0 then unready(name) elseif tonumber(n) > size then redis.call('HSET', ROOM, 'n:' .. name, size) end
    end
  end
end

-- A waiter's member in its lane: its order, zero-padded so members sort as orders do, then its id.
local function member(id, order) return string.format('%016d', order) .. ':' .. id end

if op == 'hold' then
  -- A place for the request's user, unless it holds its share already: counted and taken in one step, so two
  -- instances cannot both give the last one.
  redis.call('ZREMRANGEBYSCORE', PLACES, '-inf', tnow)
  local has = redis.call('ZSCORE', PLACES, P[1])
  if not has and P[4] ~= '1' and redis.call('ZCARD', PLACES) >= tonumber(P[2]) then
    -- Refused, with when to come back (line.ts's expected wait, for the user's place that goes first in this model's
    -- line: a place is free once it goes): the closed window, then that place's turn at the rate Claude took calls.
    local ahead = nil
    for _, id in ipairs(redis.call('ZRANGE', PLACES, 0, -1)) do
      local entry = redis.call('HGET', H, 'q:' .. id)
      if entry then
        local rank = redis.call('ZRANK', LANE_I, entry)
        if not rank then
          rank = redis.call('ZRANK', LANE_B, entry)
          if rank then rank = rank + redis.call('ZCARD', LANE_I) end
        end
        if rank and (ahead == nil or rank < ahead) then ahead = rank end
      end
    end
    local hget = function(field, default) return stored[field] or default end
    local closedMs = 0
    if hget('state', OPEN) == CLOSED then closedMs = math.max(0, hget('reopenAt', 0) - now) end
    local at = hget('rateAt', now)
    local stalled, upTo = hget('stalledSince', -1), now
    if stalled > at then upTo = math.min(now, stalled) end
    local current = hget('rate', 0) * math.exp(-math.max(0, upTo - at) / T.rateWindowMs)
    local flowing, behind = maxClosed, (ahead or 0) + 1
    if stalled > at then behind = ahead or 0 end
    if current > 0 then flowing = behind / current end
    return {0, math.floor(closedMs + HALF), math.floor(math.min(T.maxExpectedWaitMs, closedMs + flowing) + HALF)}
  end
  redis.call('ZADD', PLACES, tnow + tonumber(P[3]), P[1])
  redis.call('PEXPIRE', PLACES, tonumber(P[3]))
  return redis.call('ZCARD', PLACES)
elseif op == 'hold-places' then
  -- The places of an instance's waiters, held again: they lapse only when it stops (it died). Made again if Redis
  -- lost them (a restart, a flush): the instance knows its waiters; one it released meanwhile it releases again.
  local ms, held, key = tonumber(P[1]), 0, PLACES_KEY
  for i, id in ipairs(P) do
    if i > 1 then
      held = held + redis.call('ZADD', KEYS[key], 'CH', tnow + ms, id)
      redis.call('PEXPIRE', KEYS[key], ms)
      key = key + 1
    end
  end
  return held
elseif op == 'abandon' then
  -- A request that went on without Redis: whatever its late commands took (a lease, a place) is given back, and
  -- its mark makes any later one take nothing.
  redis.call('SET', MARK, '1', 'PX', P[2])
  redis.call('ZREM', LEASES, P[1])
  redis.call('ZREM', ROOM_LEASES, P[1])
  redis.call('ZREM', BG_LEASES, P[1])
  unqueue(P[1])
  clampReady()
  noBacklog()
  return 1
elseif op == 'leave' then
  unqueue(P[1])
  clampReady()
  noBacklog()
  -- Turned away: its ticket keeps its place for its return (a user's, for that user only).
  local kept = P[3]
  if (P[5] or '') ~= '' then kept = P[3] .. ':' .. P[4] .. ':' .. P[5] end
  if P[2] ~= '' then redis.call('SET', TICKET, kept, 'PX', P[2]) end
  return 1
elseif op == 'renew' then
  if not redis.call('ZSCORE', LEASES, P[1]) then return 0 end
  redis.call('ZADD', LEASES, 'XX', tnow + tonumber(P[2]), P[1])
  redis.call('ZADD', ROOM_LEASES, 'XX', tnow + tonumber(P[2]), P[1])
  redis.call('ZADD', BG_LEASES, 'XX', tnow + tonumber(P[2]), P[1])
  redis.call('PEXPIRE', BG_LEASES, ttl)
  redis.call('PEXPIRE', LEASES, ttl)
  redis.call('PEXPIRE', ROOM_LEASES, ttl)
  return 1
end

local function num(field, default)
  local v = stored[field]
  if v ~= nil then return v end
  return default
end
local written = {}
local function put(field, value) written[field] = value end

local limit = num('limit', math.min(maxL, math.max(minL, initialL)))
local epoch = num('epoch', 0)
local state = num('state', OPEN)
local reopenAt = num('reopenAt', 0)
local closedAt = num('closedAt', 0)
-- control.ts's stalledSince: since when the window has not been open (-1: it is open).
local stalledSince = num('stalledSince', -1)
local streak = num('streak', 0)
local probeOut = num('probeOut', 0)
local currentProbe = num('currentProbe', 0)
local probes = num('probes', 0)
local since = num('since', 0)
local inARow = num('inARow', 0)
local refusedN = num('refusedN', 0)
local notOurs = num('notOurs', 0)
-- background-room.ts: Claude's seen room (-1: none), background held until, the latest proof of room.
local seenRoom = num('seenRoom', -1)
local heldUntil = num('heldUntil', 0)
local heldAt = num('heldAt', 0)
local answeredLevel = num('answeredLevel', 0)
local answeredAt = num('answeredAt', -1)
local value = function() return math.max(1, math.floor(limit)) end
-- Below one call (limit.ts, control.ts): when the limit last grew or was cut, since when someone has waited in this
-- line, and the pacing (when the latest call ended, how long it took, the typical answered call). nil: never.
local changedAt = num('changedAt', nil)
local backlogSince = num('backlogSince', nil)
local lastEndAt = num('lastEndAt', nil)
local lastTook = num('lastTook', 0)
local typical = num('typical', 0)
-- The reference's numbers (limit.ts, control.ts), from the tuning sheet.
local BELOW_ONE_DECREASE, BELOW_ONE_GROWTH_MS, GROWTH_SPAN_MS = T.belowOneDecrease, T.belowOneGrowthMs, T.growthSpanMs
local ANSWERED_MS, TYPICAL_WEIGHT = T.answeredMs, T.typicalWeight
-- Calls Claude took per ms, decayed over RATE_WINDOW_MS (line.ts): turns a place in line into an expected wait.
local RATE_WINDOW_MS, MAX_EXPECTED_WAIT_MS = T.rateWindowMs, T.maxExpectedWaitMs
-- limit.ts's ceiling after recovery: what Claude carried in the current and previous window (carriedFrom nil: never),
-- and while recovering (recoveringFrom -1: not) what it carried when the recovery began, calm since when.
local carriedNow = num('carriedNow', 0)
local carriedBefore = num('carriedBefore', 0)
local carriedFrom = num('carriedFrom', nil)
local recoveringFrom = num('recoveringFrom', -1)
local calmSince = num('calmSince', 0)
-- limit.ts's trouble: from a cut until calmMs without one (troubleEpoch -1: none): the epoch it began, the limit before
-- it, whether Claude took a call sent since (1; else an outage), when it began, and the latest cut.
local troubleEpoch = num('troubleEpoch', -1)
local troubleBefore = num('troubleBefore', 0)
local troubleCarried = num('troubleCarried', 0)
local troubleSince = num('troubleSince', 0)
local lastCutAt = num('lastCutAt', 0)
-- limit.ts's resends of excused refusals: how many are owed (the next calls sent are taken for them); whether each of
-- the last T.resendOutcomes was refused is the hash's 'rs' field ('1' refused, '0' taken, comma-separated).
local resendsOwed = num('resendsOwed', 0)
local ceilingApplies = maxL == math.huge
local function carried()
  if carriedFrom == nil or now - carriedFrom >= T.carriedWindowMs then
    if carriedFrom ~= nil and now - carriedFrom < T.carriedWindowMs + T.carriedWindowMs then
      carriedBefore = carriedNow
    else
      carriedBefore = 0
    end
    carriedNow = 0
    carriedFrom = now
  end
  return math.max(carriedNow, carriedBefore)
end
local function recoveryCeiling()
  if recoveringFrom < 0 then return math.huge end
  if recoveringFrom > 0 then return math.max(1, recoveringFrom * T.carriedFactor) end
  return math.max(1, initialL)
end
local rate = num('rate', 0)
local rateAt = num('rateAt', now)
-- line.ts's expectedWaitMs: the rate decays until the window stopped being open, if it did since the last call taken.
local function rateUntil(stalled)
  if stalled > rateAt then return math.min(now, stalled) end
  return now
end
local function pausedUntil()
  if limit >= 1 or lastEndAt == nil then return -math.huge end
  local base = typical
  if base == 0 then base = lastTook end
  return lastEndAt + base * (1 / limit - 1)
end

-- In flight: the leases still alive (Redis's own clock, whatever time drives the control), the model's and the app's.
-- A lease that lapsed (its instance died) takes its send time along.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', LEASES, '-inf', tnow)) do redis.call('HDEL', H, 's:' .. id) end
redis.call('ZREMRANGEBYSCORE', LEASES, '-inf', tnow)
redis.call('ZREMRANGEBYSCORE', ROOM_LEASES, '-inf', tnow)
redis.call('ZREMRANGEBYSCORE', BG_LEASES, '-inf', tnow)
local inFlight = redis.call('ZCARD', LEASES)
local roomInFlight = redis.call('ZCARD', ROOM_LEASES)
-- The probe's lease expired (its instance died): it is no longer out.
if probeOut ~= 0 and not redis.call('ZSCORE', LEASES, redis.call('HGET', H, 'probeLease') or '') then probeOut = 0 end

local function save()
  put('limit', limit) put('epoch', epoch) put('state', state) put('reopenAt', reopenAt) put('closedAt', closedAt) put('stalledSince', stalledSince) put('streak', streak)
  put('probeOut', probeOut) put('currentProbe', currentProbe) put('probes', probes) put('since', since) put('inARow', inARow)
  put('refusedN', refusedN) put('notOurs', notOurs) put('lastTook', lastTook) put('typical', typical)
  put('seenRoom', seenRoom) put('heldUntil', heldUntil) put('heldAt', heldAt) put('answeredLevel', answeredLevel) put('answeredAt', answeredAt)
  if changedAt ~= nil then put('changedAt', changedAt) end
  if lastEndAt ~= nil then put('lastEndAt', lastEndAt) end
  if backlogSince ~= nil then put('backlogSince', backlogSince) end
  put('rate', rate) put('rateAt', rateAt)
  put('carriedNow', carriedNow) put('carriedBefore', carriedBefore) put('recoveringFrom', recoveringFrom) put('calmSince', calmSince)
  if carriedFrom ~= nil then put('carriedFrom', carriedFrom) end
  put('troubleEpoch', troubleEpoch) put('troubleBefore', troubleBefore) put('troubleCarried', troubleCarried)
  put('troubleSince', troubleSince) put('lastCutAt', lastCutAt) put('resendsOwed', resendsOwed)
  store(written)
  for i = 1, LINE_KEY_COUNT do redis.call('PEXPIRE', KEYS[i], ttl) end
  redis.call('PEXPIRE', BG_LEASES, ttl)
  redis.call('PEXPIRE', TURNS_I, ttl)
  redis.call('PEXPIRE', TURNS_B, ttl)
end

local function remember(refused)
  redis.call('RPUSH', RC, refused and '1' or '0')
  if refused then inARow = inARow + 1; refusedN = refusedN + 1 else inARow = 0 end
  if redis.call('LLEN', RC) > T.recentOutcomes then
    if redis.call('LPOP', RC) == '1' then refusedN = refusedN - 1 end
  end
end

-- limit.ts's levelled outcomes: the last T.levelOutcomes, each the level its call was sent at (negative: refused), in
-- the hash as one comma-separated field.
local function rememberLevel(level, refused)
  local list = {}
  for entry in string.gmatch(redis.call('HGET', H, 'lv') or '', '[^,]+') do list[#list + 1] = entry end
  if refused then list[#list + 1] = string.format('%.17g', -level) else list[#list + 1] = string.format('%.17g', level) end
  while #list > T.levelOutcomes do table.remove(list, 1) end
  if #list > 0 then redis.call('HSET', H, 'lv', table.concat(list, ',')) else redis.call('HDEL', H, 'lv') end
  return list
end

-- limit.ts rememberResend: a resend's outcome, kept among the last T.resendOutcomes; returns how many were refused.
local function rememberResend(resend, refused)
  local list, refusedN = {}, 0
  for entry in string.gmatch(redis.call('HGET', H, 'rs') or '', '[^,]+') do list[#list + 1] = entry end
  if resend and T.resendOutcomes > 0 then
    if refused then list[#list + 1] = '1' else list[#list + 1] = '0' end
    while #list > T.resendOutcomes do table.remove(list, 1) end
    if #list > 0 then redis.call('HSET', H, 'rs', table.concat(list, ',')) else redis.call('HDEL', H, 'rs') end
  end
  for _, entry in ipairs(list) do if entry == '1' then refusedN = refusedN + 1 end end
  return refusedN
end

-- Claude keeps taking calls at this level while it refuses some (limit.ts takenAtLevel): of the remembered outcomes
-- at that level or above, at least one taken and fewer than sparseShare refused.
local function takenAtLevel(list, level)
  local n, refusedAt = 0, 0
  for _, entry in ipairs(list) do
    local outcome = tonumber(entry)
    if math.abs(outcome) >= level then
      n = n + 1
      if outcome < 0 then refusedAt = refusedAt + 1 end
    end
  end
  return n > refusedAt and refusedAt / n < T.sparseShare
end

local function split(entry)
  local at, level = string.match(entry, '^([^:]+):(.+)$')
  return tonumber(at), tonumber(level)
end

local function turn()
  -- A clock set back before the window closed, or before the call a pause follows, ends it (control.ts).
  if state == CLOSED and (now >= reopenAt or now < closedAt) then state = PROBING end
  if state == CLOSED or inFlight >= value() or (now < pausedUntil() and now >= lastEndAt) then return 'wait' end
  if state == PROBING then if probeOut ~= 0 then return 'wait' end return 'probe' end
  return 'go'
end

local function send(probe, id, leaseMs, background)
  redis.call('ZADD', LEASES, tnow + leaseMs, id)
  redis.call('ZADD', ROOM_LEASES, tnow + leaseMs, id)
  if background then redis.call('ZADD', BG_LEASES, tnow + leaseMs, id) end
  redis.call('HSET', H, 's:' .. id, string.format('%.17g', now))
  inFlight = inFlight + 1
  roomInFlight = roomInFlight + 1
  local probeId = 0
  if probe then
    probes = probes + 1; probeId = probes; currentProbe = probeId; probeOut = 1
    redis.call('HSET', H, 'probeLease', id)
  end
  -- Below one call, a call's level is the share it was paced at.
  local level = inFlight
  if limit < 1 and inFlight <= 1 then level = limit end
  -- The resend of an excused refusal (limit.ts sent()).
  local resend = 0
  if resendsOwed > 0 then resend = 1; resendsOwed = resendsOwed - 1 end
  return {string.format('%.17g', level), epoch, probeId, resend}
end

local function accepted(level, callEpoch, probeId, binding, backlogMs, resend)
  rate = rate * math.exp(-math.max(0, now - rateAt) / RATE_WINDOW_MS) + 1 / RATE_WINDOW_MS
  rateAt = now
  rememberResend(resend, false)
  remember(false)
  rememberLevel(level, false)
  -- limit.ts: the trouble ends after a calm stretch; the first call taken after an outage, alone on Claude's side
  -- (no other call of the line's in flight, the call itself counting until its slot is given back), takes back the
  -- limit the line ran before.
  local back = false
  if troubleEpoch >= 0 and now - lastCutAt >= T.calmMs then troubleEpoch = -1
  elseif troubleEpoch >= 0 and troubleCarried == 0 and callEpoch >= troubleEpoch then
    troubleCarried = 1
    back = inFlight <= 1
  end
  while true do
    local back = redis.call('LINDEX', EV, -1)
    if not back then break end
    local _, l = split(back)
    if l > level then break end
    redis.call('RPOP', EV)
  end
  redis.call('RPUSH', EV, string.format('%.17g:%.17g', now, level))
  carried()
  carriedNow = math.max(carriedNow, level)
  if recoveringFrom >= 0 then
    if not binding then recoveringFrom = -1
    elseif now - calmSince >= T.calmMs then
      recoveringFrom = math.max(recoveringFrom, carried())
      calmSince = now
    end
  end
  if binding then
    since = since + 1
    local span = GROWTH_SPAN_MS
    if changedAt ~= nil then span = math.min(GROWTH_SPAN_MS, math.max(0, now - changedAt)) end
    changedAt = now
    local top = math.min(maxL, math.max(limit, recoveryCeiling()))
    if back then
      limit = math.max(limit, math.min(top, troubleBefore))
    elseif limit < 1 then
      -- limit.ts: by time, and a paced call taken (its level is the share it was paced at) takes back one cut.
      local grown = limit + (backlogMs / BELOW_ONE_GROWTH_MS) * (span / BELOW_ONE_GROWTH_MS)
      if level < 1 then grown = math.max(grown, limit / T.belowOneRegain) end
      limit = math.min(top, grown)
    else
      local step
      if since > limit then step = 1 else step = 1 / limit end
      limit = math.min(top, limit + step)
    end
  end
  if probeId ~= 0 and probeId == currentProbe then
    probeOut = 0
    if state == PROBING then state = OPEN; stalledSince = -1; streak = 0 end
  end
  -- background-room.ts answered(): proof of room, background's hold ends, the seen room grows back.
  local proven = 0
  if answeredAt >= 0 and now - answeredAt < EVIDENCE_MS then proven = answeredLevel end
  if level >= proven then answeredLevel = level; answeredAt = now end
  heldUntil = 0
  if seenRoom >= 0 then
    if seenRoom >= value() then seenRoom = -1 else seenRoom = seenRoom + 1 / (ROOM_GROWTH_ROUNDS * seenRoom) end
  end
end

local function refused(level, callEpoch, probeId, retryAfter, backlog, resend)
  local before = value()
  local result
  local wasProbe = probeId ~= 0 and probeId == currentProbe
  if wasProbe then probeOut = 0 end
  local resendsRefused = rememberResend(resend, true)
  remember(true)
  local levelled = rememberLevel(level, true)
  local n = redis.call('LLEN', RC)
  local flooded = inARow >= T.floodInARow or (n >= T.recentOutcomes * T.floodMinShare and refusedN / n >= T.floodedShare)
  local loose = level < math.floor(limit * decrease) and refusedN / n < T.sparseShare
  local highest = 0
  while true do
    local front = redis.call('LINDEX', EV, 0)
    if not front then break end
    local at, l = split(front)
    if at >= now - evidenceMs then highest = l; break end
    redis.call('LPOP', EV)
  end
  if flooded then redis.call('DEL', EV) end
  -- The levelled outcomes excuse nothing once the line has had someone waiting levelBacklogMs (limit.ts). An excused
  -- refusal's resend is the next call sent; once T.resendRefused of the last T.resendOutcomes resends were refused,
  -- only the loose rule excuses a refusal of a call sent at T.resendLevel or below (limit.ts).
  local excused = false
  if not flooded and (loose or highest >= level or (backlog < T.levelBacklogMs and takenAtLevel(levelled, level))) then
    resendsOwed = resendsOwed + 1
    excused = loose or T.resendOutcomes <= 0 or resendsRefused < T.resendRefused or level > T.resendLevel
  end
  if excused then
    notOurs = notOurs + 1
    result = 'not-ours'
  elseif callEpoch ~= epoch then
    result = 'same-wave'
  else
    local cut
    if level > 1 then cut = math.min(limit, level - 1) * decrease else cut = math.min(limit, level) * BELOW_ONE_DECREASE end
    -- Below one call only in a flood: refusals at random leave a line at least one call. In a smaller room (Claude
    -- took a call sent in this trouble, and it has not been calm since) the floor is partialFloor unless the app set
    -- a floor or a ceiling of its own (limit.ts).
    local lowest = minL
    local partial = ceilingApplies and minL <= 1 and troubleEpoch >= 0 and troubleCarried == 1 and now - lastCutAt < T.calmMs
    if partial then
      lowest = math.min(minL, math.max(T.lowestFloor, T.partialFloor))
    end
    -- Outside a flood a call at one or more keeps the line at one call, unless it was asked for beyond a call of its
    -- own already on Claude's side in a smaller room (partialCutLevel).
    local floor = lowest
    if level >= 1 and not flooded and not (partial and level >= T.partialCutLevel) then floor = 1 end
    if ceilingApplies and recoveringFrom < 0 then recoveringFrom = carried() end
    calmSince = now
    if troubleEpoch < 0 or now - lastCutAt >= T.calmMs then
      troubleEpoch = epoch + 1; troubleBefore = limit; troubleCarried = 0; troubleSince = now
    end
    lastCutAt = now
    limit = math.min(maxL, recoveryCeiling(), math.max(lowest, floor, cut))
    changedAt = now
    epoch = epoch + 1
    since = 0
    result = 'cut'
  end
  -- Below one call the pause after each call is the backoff: only a flood closes the window.
  local paced = limit < 1 and not flooded
  local atTheEdge = paced or (state == OPEN and level >= before and retryAfter < 0 and not flooded and value() < before)
  if result == 'cut' and not atTheEdge then
    -- In an outage, with none of the line's calls on the wire, one probe every minClosed for fastProbesMs (control.ts).
    local grown = math.min(maxClosed, minClosed * T.windowGrowth ^ streak)
    if troubleEpoch >= 0 and troubleCarried == 0 and inFlight == 0 and now - troubleSince < T.fastProbesMs then grown = minClosed end
    local ms = math.max(math.max(retryAfter, 0), grown)
    streak = streak + 1
    if state == OPEN then stalledSince = now end
    state = CLOSED
    closedAt = now
    reopenAt = now + ms
    -- Its waiters cannot go now: under a ceiling they must not hold other models' waiters back until they ask again.
    unready(readyName(false))
    unready(readyName(true))
  elseif result == 'not-ours' and wasProbe and state == PROBING then
    state = OPEN
    stalledSince = -1
  end
  return result
end

local function finish(probeId, id)
  redis.call('ZREM', BG_LEASES, id)
  local sentAt = redis.call('HGET', H, 's:' .. id)
  if sentAt then
    redis.call('HDEL', H, 's:' .. id)
    lastEndAt = now
    lastTook = math.max(0, now - tonumber(sentAt))
    if lastTook >= ANSWERED_MS then
      if typical == 0 then typical = lastTook else typical = typical + (lastTook - typical) * TYPICAL_WEIGHT end
    end
  end
  if redis.call('ZREM', LEASES, id) == 1 then inFlight = inFlight - 1 end
  if redis.call('ZREM', ROOM_LEASES, id) == 1 then roomInFlight = roomInFlight - 1 end
  if probeId ~= 0 and probeId == currentProbe then probeOut = 0 end
end

-- Someone is waiting in this model's line: waiters that stopped asking (their instance died) are dropped first.
local function waiting()
  local gone = redis.call('ZRANGEBYSCORE', ALIVE, '-inf', tnow)
  for _, id in ipairs(gone) do unqueue(id) end
  if #gone > 0 then clampReady() end
  local n = redis.call('ZCARD', LANE_I) + redis.call('ZCARD', LANE_B)
  if n == 0 then backlogSince = nil end
  return n
end
local function backlogMs()
  if backlogSince == nil then return 0 end
  return now - backlogSince
end

-- How many of a lane's first waiters the line would let go now (line.ts's next()): interactive ones in order;
-- background ones only when no interactive one waits, and, unless the limit is 1, leaving two free slots (one when
-- the limit is 2; the probe needs no spare). Under Claude's seen room (background-room.ts): people while background
-- is on the wire, background two below it (one below a room of 2) and not while held.
local function laneRoom(background, go)
  if go == 'wait' then return 0 end
  local room = 1
  if go == 'go' then room = value() - inFlight end
  if not background then
    if seenRoom >= 0 and redis.call('ZCARD', BG_LEASES) > 0 then room = math.min(room, math.floor(seenRoom) - inFlight) end
    return room
  end
  if redis.call('ZCARD', LANE_I) > 0 then return 0 end
  if go == 'go' then
    -- Held, unless the clock was set back before the 529 that held it (background-room.ts held()).
    if now < heldUntil and now >= heldAt then return 0 end
    room = room - math.min(BACKGROUND_SPARE, value() - 1)
    -- background-room.ts cap(): two slots of the seen room left to people, one of a room of 2, none of a room of 1.
    if seenRoom >= 0 then
      local seen = math.floor(seenRoom)
      room = math.min(room, seen - math.min(BACKGROUND_SPARE, seen - 1) - inFlight)
    end
  end
  return room
end

-- Under a ceiling the room keeps, per line and lane whose waiters the line would let go, one entry: scored by its
-- first waiter (interactive before background, then the oldest: lines.ts gave() sorts lines by their head), with how
-- many it would let go (ROOM's 'n:' fields). With users a line's first waiter is its first in turn, not its oldest.
local function markReady(background, room, aliveMs)
  if ceiling < 0 then return end
  local gone = redis.call('ZRANGEBYSCORE', READY_ALIVE, '-inf', tnow)
  for _, other in ipairs(gone) do unready(other) end
  local lane = LANE_I
  if background then lane = LANE_B end
  local name = readyName(background)
  local takers = math.min(room, redis.call('ZCARD', lane))
  if takers <= 0 then
    unready(name)
    return
  end
  local first = redis.call('ZRANGE', lane, 0, 0)[1]
  local score = tonumber(string.match(first, '^(%d+):') or '0')
  if background then score = score + LANE_SCORE end
  redis.call('ZADD', READY, score, name)
  redis.call('ZADD', READY_ALIVE, tnow + aliveMs, name)
  redis.call('HSET', ROOM, 'n:' .. name, takers)
end

-- Does the app's room have a slot for the waiter rank-th in its lane (lines.ts's mayGo and gave())? The lines whose
-- first waiter comes first take the room's free slots first, as many as they would let go each, then its own line's
-- waiters ahead of it; a background one leaves two slots free (one at 2).
local function roomLets(background, rank)
  if ceiling < 0 then return true end
  local ahead = rank
  local score = redis.call('ZSCORE', READY, readyName(background))
  if not score then return false end
  for _, other in ipairs(redis.call('ZRANGEBYSCORE', READY, '-inf', '(' .. score)) do
    ahead = ahead + tonumber(redis.call('HGET', ROOM, 'n:' .. other) or '0')
  end
  local free = ceiling - roomInFlight
  if background then free = free - math.min(BACKGROUND_SPARE, ceiling - 1) end
  return ahead < free
end

local result = 'ok'
if op == 'turn' then
  result = turn()
elseif op == 'send' then
  result = send(P[1] == '1', P[2], tonumber(P[3]), false)
elseif op == 'accepted' then
  accepted(tonumber(P[1]), tonumber(P[2]), tonumber(P[3]), P[4] == '1', tonumber(P[5]) or 0, P[6] == '1')
elseif op == 'refused' then
  result = refused(tonumber(P[1]), tonumber(P[2]), tonumber(P[3]), tonumber(P[4]), tonumber(P[5]) or 0, P[6] == '1')
elseif op == 'finish' then
  finish(tonumber(P[1]), P[2])
elseif op == 'snapshot' then
  local names = {[OPEN] = 'open', [CLOSED] = 'closed', [PROBING] = 'probing'}
  -- No ceiling is '-1' (a float reply cannot say infinity).
  local ceilingReply = '-1'
  if recoveringFrom >= 0 then ceilingReply = string.format('%.17g', recoveryCeiling()) end
  return {names[state], string.format('%.17g', reopenAt), value(), inFlight, waiting(), string.format('%.17g', limit), ceilingReply}
elseif op == 'admit' then
  if redis.call('EXISTS', MARK) == 1 then return {-1} end
  local id = P[1]
  local order = P[2]
  local aliveMs = tonumber(P[4])
  local background = P[6] == '1'
  -- Its turn among users and its user (fair-turns.ts); no user: first come, first served.
  local tag = P[8] or ''
  local user = P[9] or ''
  if order == '' and P[5] == '1' then
    local kept = redis.call('GET', TICKET)
    if kept then
      local keptOrder, keptTag, keptUser = string.match(kept, '^(%d+):(%d+):(.*)$')
      if not keptOrder then keptOrder, keptTag, keptUser = kept, '', '' end
      -- A ticket keeps a place for its own user only; another user's leaves it to its owner.
      if keptUser == user then
        redis.call('DEL', TICKET)
        order = keptOrder
        tag = keptTag
      end
    end
  end
  if order == '' then order = redis.call('HINCRBY', ROOM, 'orders', 1) else order = tonumber(order) end
  local turns, roundField = TURNS_I, 'roundI'
  if background then turns, roundField = TURNS_B, 'roundB' end
  if user ~= '' and tag == '' then
    -- One round after the user's last, never before the round being served (a request back from Claude too: its
    -- first turn was spent).
    local round = tonumber(redis.call('HGET', H, roundField) or '0')
    tag = math.max(round, tonumber(redis.call('ZSCORE', turns, user) or '0')) + 1
    redis.call('ZADD', turns, tag, user)
  end
  local score = order
  if user ~= '' then
    tag = tonumber(tag)
    score = tag
  else
    tag = 0
  end
  waiting()
  local lane = LANE_I
  if background then lane = LANE_B end
  local held = P[7] == '1'
  -- Its member in the lane: the one it joined with, or a new one from its order.
  local entry = redis.call('HGET', H, 'q:' .. id) or member(id, order)
  if held then
    -- Its instance has no slot of its own for it: it stands aside, so waiters of other instances behind it may go,
    -- and keeps its order (it asks with it again) to take its place back once its instance has a slot.
    unqueue(id)
  else
    if redis.call('ZADD', lane, 'NX', score, entry) == 1 and backlogSince == nil then backlogSince = now end
    redis.call('HSET', H, 'q:' .. id, entry)
    redis.call('ZADD', ALIVE, tnow + aliveMs, id)
  end
  local go = turn()
  -- Fleet-wide order: only the first waiters go, as many as the line (the probe goes alone) and the room have room for.
  local room = laneRoom(background, go)
  markReady(background, room, aliveMs)
  local rank = redis.call('ZRANK', lane, entry)
  local lets = not held and rank ~= false and rank < room and roomLets(background, rank)
  if lets then
    unqueue(id)
    waiting()
    -- It goes: its user's place is free for another of its requests.
    if user ~= '' then redis.call('ZREM', PLACES, id) end
    if user ~= '' and tag > tonumber(redis.call('HGET', H, roundField) or '0') then
      -- Its round is being served: users whose last turn is no later are as good as new (fair-turns.ts).
      redis.call('HSET', H, roundField, tag)
      redis.call('ZREMRANGEBYSCORE', turns, '-inf', tag)
    end
    local call = send(go == 'probe', id, tonumber(P[3]), background)
    -- Its line's entry in the room, as the line now stands.
    markReady(background, laneRoom(background, turn()), aliveMs)
    -- outage (limit.ts): Claude has taken none of the line's calls since its refusals began; a probe then is judged by
    -- how fast refusals came (accept-grace.ts), as in the memory line.
    local outage = 0
    if troubleEpoch >= 0 and troubleCarried == 0 then outage = 1 end
    result = {1, call[1], call[2], call[3], order, value(), tag, outage, call[4]}
  else
    local closedMs = 0
    if state == CLOSED then closedMs = reopenAt - now end
    -- With users, its own turn: the requests that go before it, not everyone waiting.
    local ahead
    if user == '' then ahead = redis.call('ZCOUNT', lane, '-inf', '(' .. order)
    else ahead = redis.call('ZRANK', lane, entry) or redis.call('ZCOUNT', lane, '-inf', '(' .. score) end
    if background then ahead = ahead + redis.call('ZCARD', LANE_I) end
    -- The expected wait for its turn, as line.ts's: the closed window, then its place at the rate Claude took calls
    -- (decayed while the line is open, not while Claude refuses it).
    local current = rate * math.exp(-math.max(0, rateUntil(stalledSince) - rateAt) / RATE_WINDOW_MS)
    local flowing, behind = maxClosed, ahead + 1
    if stalledSince > rateAt then behind = ahead end
    if current > 0 then flowing = behind / current end
    -- Bounded as line.ts's: a rate decayed through an outage gives a huge float, which Redis's integer reply turns
    -- into -9223372036854775808.
    result = {0, closedMs, ahead, order, value(), math.floor(math.min(MAX_EXPECTED_WAIT_MS, math.max(0, closedMs) + flowing) + HALF), tag}
  end
elseif op == 'accept' then
  accepted(tonumber(P[1]), tonumber(P[2]), tonumber(P[3]), waiting() > 0, backlogMs(), P[4] == '1')
elseif op == 'settle' then
  local probeId = tonumber(P[4])
  local wasBackground = redis.call('ZSCORE', BG_LEASES, P[1]) ~= false
  finish(probeId, P[1])
  local bgOnWire = redis.call('ZCARD', BG_LEASES)
  -- The flood is over: what it showed of Claude's room is forgotten with it.
  if wasBackground and bgOnWire == 0 and redis.call('ZCARD', LANE_B) == 0 then seenRoom = -1; heldUntil = 0 end
  if P[5] == 'refused' and (wasBackground or bgOnWire > 0) and state == OPEN then
    -- background-room.ts blamed(): the people's window stays open and the limit is not cut.
    local retryAfter = tonumber(P[6])
    heldUntil = math.max(heldUntil, now + math.max(math.max(retryAfter, 0), minClosed))
    heldAt = now
    local proven = 0
    if answeredAt >= 0 and now - answeredAt < EVIDENCE_MS then proven = answeredLevel end
    if tonumber(P[2]) > proven then seenRoom = math.max(1, inFlight) end
    result = 'blamed'
  elseif P[5] == 'refused' then
    result = refused(tonumber(P[2]), tonumber(P[3]), probeId, tonumber(P[6]), backlogMs(), P[8] == '1')
  elseif P[5] == 'ok' and P[7] ~= '1' then
    accepted(tonumber(P[2]), tonumber(P[3]), probeId, waiting() > 0, backlogMs(), P[8] == '1')
  end
end
save()
return result
`;
