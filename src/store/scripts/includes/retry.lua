--[[
  retry (SPEC §14): a failed try goes again, at once or when its backoff is
  due (promoteDue queues those whose time has come). Reads the job's
  policy; writes the job, P:delayed or its queue.
]]
--@include keys
--@include tally
--@include wake
--@include pools

-- SPEC §14: a failed try with tries left goes back to QUEUED (published with
-- the next try's number, the failed try's error and runAt), claimable from
-- runAt: on its node's queue at once, or on P:delayed until promoteDue
-- queues it. Its slot and pool slots are given back; it stays active, so
-- the tree neither aborts nor settles. Answers {attempt, tries, runAt}, or
-- nil when the job is not tried again (no tries left, a code not in `on`).
local function scheduleRetry(root, id, jk, node, pool, k, errJson, now)
  local r = redis.call('HMGET', jk, 'attempt', 'tries', 'retry', 'startedAt', 'attempts', 'anyNode')
  local attempt, tries = tonumber(r[1]) or 1, tonumber(r[2]) or 1
  if attempt >= tries then return nil end
  local e = { code = 'FAILED', message = '' }
  if errJson ~= '' then e = cjson.decode(errJson) end
  if string.sub(tostring(e.code), 1, 11) == 'ABORTED_BY_' then return nil end
  local policy = cjson.decode(r[3])
  if type(policy.on) == 'table' then
    local listed = false
    for _, c in ipairs(policy.on) do if c == e.code then listed = true end end
    if not listed then return nil end
  end
  local delay = 0
  local backoff = policy.backoff
  if type(backoff) == 'table' then
    delay = tonumber(backoff.delayMs) or 0
    if backoff.type == 'exponential' then delay = delay * 2 ^ (attempt - 1) end
    local cap = tonumber(backoff.maxDelayMs)
    if cap and delay > cap then delay = cap end
  end
  delay = math.floor(delay)
  local runAt = tonumber(now) + delay
  local attempts = {}
  if r[5] then attempts = cjson.decode(r[5]) end
  attempts[#attempts + 1] = { startedAt = tonumber(r[4]), finishedAt = tonumber(now), error = e, node = node }
  local nextNode = node
  if r[6] then nextNode = '*' end
  redis.call('HSET', jk, 'state', 'QUEUED', 'node', nextNode, 'attempt', attempt + 1,
    'attempts', cjson.encode(attempts), 'runAt', runAt, 'queuedAt', runAt)
  redis.call('HDEL', jk, 'token')
  announce(root, id, 'RUNNING', 'QUEUED', nextNode, now,
    { attempt = attempt + 1, error = e, runAt = runAt })
  redis.call('SREM', runningKey(node), root .. '|' .. id)
  if pool then
    redis.call('HINCRBY', poolKey(pool), 'used', -(tonumber(k) or 1))
    offerPoolSlots(pool)
  end
  if delay > 0 then
    redis.call('ZADD', delayedKey(), runAt, root .. '|' .. id)
  else
    enqueue(root, id, nextNode)
  end
  return { attempt = attempt + 1, tries = tries, runAt = runAt }
end

-- SPEC §14: retries whose time has come go to their node's queue (with a
-- wake); called by every claim and by the housekeeper's tick, so no
-- node's timer is needed and none is lost with a node.
local function promoteDue(now)
  local due = redis.call('ZRANGEBYSCORE', delayedKey(), '-inf', now, 'LIMIT', 0, 1000)
  if #due == 0 then return 0 end
  inChunks('ZREM', delayedKey(), due)
  for _, item in ipairs(due) do
    local root, id = entryOf(item)
    if root then
      local f = redis.call('HMGET', jobKey(root, id), 'state', 'node')
      if f[1] == 'QUEUED' then enqueue(root, id, f[2]) end
    end
  end
  return #due
end
