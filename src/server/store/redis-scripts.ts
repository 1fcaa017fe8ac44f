/**
 * The Lua behind the Redis store. Each runs atomically in Redis, and every time is Redis's own (`TIME`), so clocks
 * that disagree between backend instances cannot open the gate early or keep a dead lease alive.
 */

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Semaphore: a sorted set of leases scored by their expiry. Reaps the expired (an instance that died mid-request),
 * then takes a lease if fewer than the limit are held — unless the request already gave up on Redis and went ahead
 * without it (its abandon mark is set): a call that reaches Redis late, after a hang, must not hold a slot for it.
 * KEYS: leases, abandon mark. ARGV: lease id, limit, leaseMs. → 1 | 0 | -1 (abandoned)
 */
export const ACQUIRE_LEASE = `${NOW}
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0`;

/**
 * A request that gave up on Redis (a command past its timeout) marks itself abandoned and gives back whatever its
 * late commands may take: its lease and its probe lock. Whichever of this and the late command runs first, neither
 * survives. KEYS: leases, probe, abandon mark. ARGV: lease id (also the probe token), leaseMs. → 1
 */
export const ABANDON = `redis.call('SET', KEYS[3], '1', 'PX', ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1`;

/**
 * Keeps a long call's lease (a stream) and, for the probe, its probe lock alive. A lease already reaped stays gone.
 * KEYS: leases, probe. ARGV: lease id, leaseMs, probe token. → 1 | 0
 */
export const RENEW_LEASE = `${NOW}
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/**
 * Gate: the key holds the reopen time and outlives it by one lease, the probing window. Before the reopen time
 * everyone waits; after it one caller wins the probe lock and goes, the rest wait for its outcome (or for the lock
 * to expire if its instance died). A request marked abandoned never takes the lock.
 * KEYS: gate, probe, abandon mark. ARGV: probe token, leaseMs.
 * → {0} open, {1, ms} closed for ms, {2} you are the probe, {3, ms} another probe is out.
 */
export const CHECK_GATE = `local v = redis.call('GET', KEYS[1])
if not v then return {0, 0} end
${NOW}
local wait = tonumber(v) - now
if wait > 0 then return {1, wait} end
if redis.call('EXISTS', KEYS[3]) == 0 and redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2, 0} end
return {3, redis.call('PTTL', KEYS[2])}`;

/**
 * Closes the gate after a 529 or 429: for the retry-after Claude gave, at least minClosedMs doubled per overload in
 * a row (up to maxClosedMs). The wave of calls that were already out when it closed may push the reopen time later
 * but does not count as more overloads in a row. Gives the caller's lease back in the same step.
 * KEYS: gate, probe, streak, leases. ARGV: retryAfterMs, leaseMs, probe token (also the lease id), minClosedMs,
 * maxClosedMs. → how long it is closed now (ms)
 */
export const CLOSE_GATE = `${NOW}
redis.call('ZREM', KEYS[4], ARGV[3])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local streak = tonumber(redis.call('GET', KEYS[3]) or '0')
if current <= now then streak = streak + 1 end
local base = math.min(tonumber(ARGV[5]), tonumber(ARGV[4]) * 2 ^ math.max(0, streak - 1))
local reopen = now + math.max(tonumber(ARGV[1]), base)
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
if current >= reopen then return current - now end
redis.call('SET', KEYS[1], reopen, 'PX', reopen - now + tonumber(ARGV[2]))
redis.call('SET', KEYS[3], streak, 'PX', tonumber(ARGV[5]) * 4)
return reopen - now`;

/**
 * After an answer that is not an overload: a success past the reopen time (the probe's, or any) opens the gate for
 * everyone; a probe that failed otherwise (a 500) frees the lock so another may probe. Gives the caller's lease back
 * in the same step. KEYS: gate, probe, streak, leases. ARGV: probe token (also the lease id), '1' for a success.
 * → 1 if it opened the gate
 */
export const SETTLE_GATE = `redis.call('ZREM', KEYS[4], ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
if ARGV[2] ~= '1' then return 0 end
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('DEL', KEYS[3])
  return 0
end
${NOW}
if tonumber(v) > now then return 0 end
redis.call('DEL', KEYS[1], KEYS[3])
return 1`;
