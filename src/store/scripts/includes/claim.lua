--[[
  claim (SPEC §4 rule 3): QUEUED → RUNNING for one node, atomically, with
  pause (§2), pools (§12), due retries (§14) and a big abort under way
  (§17) taken into account.
  Pops P:queue:<node>; writes the job, P:running:<node>, P:{R}:parked,
  P:pool:<name>:waiting, P:delayed.
]]
--@include keys
--@include util
--@include tally
--@include wake
--@include pools
--@include retry
--@include abort
--@include payload

-- QUEUED → RUNNING for `node` with fencing `token`; returns the payload.
-- A job never starts before it was queued: a claim whose `now` went stale
-- in a client's retry queue (an outage) starts at queuedAt instead.
-- A job of a paused tree is not started: it is parked on P:{R}:parked,
-- and resumeTree puts it back on its node's queue. A job whose pool lacks
-- the slots it needs waits on P:pool:<name>:waiting until a job of the
-- pool ends (offerPoolSlots) or the pool grows.
local function claimOne(root, id, node, token, now)
  -- a job key of another type (SPEC §18) is no job: its entry is dropped
  local f = redis.pcall('HMGET', jobKey(root, id), 'state', 'pool', 'poolSlots', unpack(PAYLOAD_FIELDS))
  if f.err or f[1] ~= 'QUEUED' then return nil end
  local t = tally(root)
  if t.aborting then -- its chunk of the abort has not come yet: it ends here instead
    abortJobs(root, { id }, now, t.aborting)
    return nil
  end
  if t.paused then
    redis.call('RPUSH', parkedKey(root), id)
    return nil
  end
  if f[2] and not takePoolSlots(f[2], tonumber(f[3]) or 1) then
    redis.call('RPUSH', poolWaitKey(f[2]), root .. '|' .. id)
    return nil
  end
  local queuedAt = f[10]
  local startedAt = now
  if queuedAt and tonumber(queuedAt) > tonumber(now) then startedAt = queuedAt end
  transition(root, id, 'QUEUED', 'RUNNING', node, startedAt,
    'node', node, 'token', token, 'startedAt', startedAt)
  redis.call('SADD', runningKey(node), root .. '|' .. id)
  return payloadOf(root, id, startedAt, f, 4)
end

-- Pops queue entries for `node` (its own queue, then the any-node queue)
-- and claims up to `max` of them; entries of jobs no longer QUEUED are
-- dropped (aborted or re-waited since they were queued), those of a paused
-- tree parked. At most SKIP_BOUND entries are passed over per call, so one
-- call stays short; a call stopped by that bound wakes `node`, which comes
-- back at once for what lies behind them instead of at its next poll.
local SKIP_BOUND = 1000
local function claimFromQueues(queues, node, max, token, now)
  local out = {}
  local skipped = 0
  for _, q in ipairs(queues) do
    while #out < max and skipped < SKIP_BOUND do
      local item = redis.call('LPOP', q)
      if not item then break end
      local root, id = entryOf(item)
      local payload = root and claimOne(root, id, node, token, now)
      if payload then out[#out + 1] = payload else skipped = skipped + 1 end
    end
  end
  if skipped >= SKIP_BOUND and #out < max then addWake(node, 1) end
  return out
end

-- How a node's free slots are filled, the one way every script does it:
-- its own queue first, then the any-node queue. `promote`: first queue the
-- retries whose time has come (claimJobs does; a job's end refilling its
-- slot does not, to keep one Redis command off every end: a due retry is
-- queued by the next claim or the housekeeper's tick, within a second).
local function claimNext(node, max, token, now, promote)
  if promote then promoteDue(now) end
  return claimFromQueues({ queueKey(node), queueKey('*') }, node, max, token, now)
end
