/**
 * The line's control (admission/control.ts and limit.ts) ported to Lua, so every instance of a backend shares one
 * adaptive limit, one window and one probe through Redis: fleet-wide pacing, not a fixed lease count. The TypeScript
 * is the reference; test/server/redis/admission-diff.test.ts plays one script of events on both, on a real
 * redis-server, and wants the same answers and the same state after every step.
 *
 * State: a hash (limit, epoch, state, reopenAt, …), a list of recent accepted calls as evidence (`at:level`,
 * decreasing in level), and a list of the last outcomes ('1' refused, '0' accepted). Floats are written with 17
 * significant digits so the limit survives the trip exactly. `now` comes from the caller in the differential test
 * and from Redis's TIME otherwise (ARGV[2] = ''), so instances whose clocks disagree still agree on the window.
 */
import type { Redis } from 'ioredis';
import type { LineControlOptions, LineState } from '../admission/control.js';
import type { RefusalVerdict } from '../admission/limit.js';

/**
 * KEYS: state hash, evidence list, recent list.
 * ARGV: op, now ('' = Redis TIME), initial, min, max (-1 = none), decrease, evidenceMs, minClosedMs, maxClosedMs, ttlMs,
 * then per op — send: probe; accepted: level, epoch, probeId, binding; refused: level, epoch, probeId, retryAfterMs
 * (-1 = none); finish: probeId (0 = not a probe). → turn: 'go' | 'probe' | 'wait'; send: {level, epoch, probeId};
 * refused: verdict; others: 'ok'.
 */
export const LINE_CONTROL = `
local op = ARGV[1]
local now
if ARGV[2] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[2])
end
local minL = math.max(1, tonumber(ARGV[4]))
local maxL = tonumber(ARGV[5])
if maxL < 0 then maxL = math.huge end
maxL = math.max(minL, maxL)
local decrease = math.min(0.99, math.max(0.1, tonumber(ARGV[6])))
local evidenceMs = tonumber(ARGV[7])
local minClosed = tonumber(ARGV[8])
local maxClosed = math.max(minClosed, tonumber(ARGV[9]))
local ttl = tonumber(ARGV[10])
local H, EV, RC = KEYS[1], KEYS[2], KEYS[3]

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
local inFlight = num('inFlight', 0)
local since = num('since', 0)
local inARow = num('inARow', 0)
local refusedN = num('refusedN', 0)
local notOurs = num('notOurs', 0)
local value = math.max(1, math.floor(limit))

local function save()
  put('limit', limit) put('epoch', epoch) put('state', state) put('reopenAt', reopenAt) put('streak', streak)
  put('probeOut', probeOut) put('currentProbe', currentProbe) put('probes', probes) put('inFlight', inFlight) put('since', since) put('inARow', inARow)
  put('refusedN', refusedN) put('notOurs', notOurs)
  for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ttl) end
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

local result = 'ok'
if op == 'turn' then
  if state == 1 and now >= reopenAt then state = 2 end
  if state == 1 or inFlight >= value then result = 'wait'
  elseif state == 2 then if probeOut ~= 0 then result = 'wait' else result = 'probe' end
  else result = 'go' end
elseif op == 'send' then
  inFlight = inFlight + 1
  local probeId = 0
  if ARGV[11] == '1' then probes = probes + 1; probeId = probes; currentProbe = probeId; probeOut = 1 end
  result = {inFlight, epoch, probeId}
elseif op == 'accepted' then
  local level, probeId, binding = tonumber(ARGV[11]), tonumber(ARGV[13]), ARGV[14] == '1'
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
elseif op == 'refused' then
  local level, callEpoch, probeId, retryAfter = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14])
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
  local atTheEdge = state == 0 and level >= value and retryAfter < 0 and not flooded
    and math.max(1, math.floor(limit)) < value
  if result == 'cut' and not atTheEdge then
    local ms = math.max(math.max(retryAfter, 0), math.min(maxClosed, minClosed * 2 ^ streak))
    streak = streak + 1
    state = 1
    reopenAt = now + ms
  elseif result == 'not-ours' and wasProbe and state == 2 then
    state = 0
  end
elseif op == 'finish' then
  inFlight = inFlight - 1
  local probeId = tonumber(ARGV[11])
  if probeId ~= 0 and probeId == currentProbe then probeOut = 0 end
elseif op == 'snapshot' then
  local names = {'open', 'closed', 'probing'}
  return {names[state + 1], string.format('%.17g', reopenAt), math.max(1, math.floor(limit)), inFlight}
end
save()
return result
`;

export interface RedisLineCall {
  level: number;
  epoch: number;
  probe: boolean;
  probeId: number;
}

export interface RedisLineControl {
  turn(now?: number): Promise<'go' | 'probe' | 'wait'>;
  send(probe: boolean): Promise<RedisLineCall>;
  accepted(call: RedisLineCall, binding: boolean, now?: number): Promise<void>;
  refused(call: RedisLineCall, now?: number, retryAfterMs?: number): Promise<RefusalVerdict>;
  finish(call: RedisLineCall): Promise<void>;
  snapshot(): Promise<{ state: LineState; reopenAt: number; limit: number; inFlight: number }>;
}

/**
 * The fleet's line control on Redis under `prefix`. Pass `now` only to drive it from a script (the differential
 * test); in service Redis's own clock is used. Not yet wired into createRedisStore: a crashed instance would leave
 * its calls counted in flight, so the wiring must tie `finish` to the store's expiring leases.
 */
export function createRedisLineControl(redis: Redis, prefix: string, options: LineControlOptions & { ttlMs?: number } = {}): RedisLineControl {
  const keys = [`${prefix}line`, `${prefix}line:evidence`, `${prefix}line:recent`];
  const limit = options.limit ?? {};
  const base = (op: string, now: number | undefined) => [
    op, now === undefined ? '' : String(now), limit.initial ?? 32, limit.min ?? 1, limit.max ?? -1, limit.decrease ?? 0.9,
    limit.evidenceMs ?? 10_000, options.minClosedMs ?? 1000, options.maxClosedMs ?? 15_000, options.ttlMs ?? 3_600_000,
  ];
  const run = (op: string, now: number | undefined, ...rest: Array<string | number>) =>
    redis.eval(LINE_CONTROL, keys.length, ...keys, ...base(op, now), ...rest);
  const flag = (b: boolean) => (b ? '1' : '0');
  return {
    turn: async (now) => (await run('turn', now)) as 'go' | 'probe' | 'wait',
    async send(probe) {
      const [level, epoch, probeId] = (await run('send', undefined, flag(probe))) as [number, number, number];
      return { level, epoch, probe, probeId };
    },
    async accepted(call, binding, now) {
      await run('accepted', now, call.level, call.epoch, call.probeId, flag(binding));
    },
    refused: async (call, now, retryAfterMs) =>
      (await run('refused', now, call.level, call.epoch, call.probeId, retryAfterMs ?? -1)) as RefusalVerdict,
    async finish(call) {
      await run('finish', undefined, call.probeId);
    },
    async snapshot() {
      const [state, reopenAt, value, inFlight] = (await run('snapshot', undefined)) as [string, string, number, number];
      return { state: state as LineState, reopenAt: Number(reopenAt), limit: value, inFlight };
    },
  };
}
