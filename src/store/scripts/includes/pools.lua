--[[
  pools (SPEC §12): a pool's slots taken by a claim and given back when its
  job ends, offered to the jobs that wait for them, and the check that the
  pools a submission names exist.
  Reads/writes P:pool:<name> (slots, used, refs), P:pool:<name>:waiting.
]]
--@include keys
--@include wake

-- Takes k slots of a pool for a claim, or answers false when it lacks them
-- (SPEC §12: counted in the same script as the claim, so atomic across nodes).
local function takePoolSlots(pool, k)
  local f = redis.call('HMGET', poolKey(pool), 'slots', 'used')
  if (tonumber(f[2]) or 0) + k > (tonumber(f[1]) or 0) then return false end
  redis.call('HINCRBY', poolKey(pool), 'used', k)
  return true
end

-- SPEC §12: a pool's freed slots go to the jobs that a claim found waiting
-- for them, oldest first: each that fits goes back to the head of its
-- node's queue (with a wake), as many as the free slots cover. Entries of
-- jobs no longer QUEUED (aborted while they waited) are dropped, at most
-- SKIP_POOL a call so that one script stays short.
local SKIP_POOL = 1000
local function offerPoolSlots(pool)
  local f = redis.call('HMGET', poolKey(pool), 'slots', 'used')
  local free = (tonumber(f[1]) or 0) - (tonumber(f[2]) or 0)
  local skipped = 0
  while free > 0 and skipped < SKIP_POOL do
    local item = redis.call('LPOP', poolWaitKey(pool))
    if not item then return end
    local root, id = entryOf(item)
    local state, node, k
    if root then state, node, k = unpack(redis.call('HMGET', jobKey(root, id), 'state', 'node', 'poolSlots')) end
    if state == 'QUEUED' then
      redis.call('LPUSH', queueKey(node), root .. '|' .. id)
      addWake(node, 1)
      free = free - (tonumber(k) or 1)
    else
      skipped = skipped + 1
    end
  end
end

-- The first pool that `jobs` name and that does not exist, or nil.
local function missingPool(jobs)
  local seen = {}
  for _, j in ipairs(jobs) do
    if j.pool and not seen[j.pool] then
      if redis.call('EXISTS', poolKey(j.pool)) == 0 then return j.pool end
      seen[j.pool] = true
    end
  end
  return nil
end
