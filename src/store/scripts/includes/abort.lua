--[[
  abort: aborting a tree (SPEC §4 rules 4 and 5; §17 in chunks):
  pruneQueues, abortJobs, abortMore, abortRest and the `abortsLeft` a
  script leaves to be continued.
  Writes the jobs, P:{R}:tree (aborting, abortCursor, cause), the queues,
  P:delayed, P:signals:<node>, P:aborting; publishes on P:signal:<node>.
]]
--@include keys
--@include util
--@include tally
--@include retire

-- A queue entry of a job that is no longer QUEUED is skipped by the next
-- claim, one command each. When an aborted tree's entries are most of a
-- node's queue, that claim would stall every other call to Redis (the ends
-- of the tree's aborted running jobs among them), so the queue is rebuilt
-- without them here, at a cost of the order of the abort's own.
local function pruneQueues(root, deadByNode)
  local prefix = root .. '|'
  for node, n in pairs(deadByNode) do
    local qk = queueKey(node)
    if n * 2 >= redis.call('LLEN', qk) then
      local keep = {}
      for _, e in ipairs(redis.call('LRANGE', qk, 0, -1)) do
        if string.sub(e, 1, #prefix) ~= prefix then keep[#keep + 1] = e end
      end
      redis.call('DEL', qk)
      inChunks('RPUSH', qk, keep)
    end
  end
end

-- SPEC §4 rule 4 for the jobs `ids` of a tree: WAITING/QUEUED ones end
-- ABORTED now; RUNNING ones are flagged and signalled to their node, and
-- end ABORTED when they stop.
local function abortJobs(root, ids, now, errJson)
  local dead = {}
  for _, id in ipairs(ids) do
    local jk = jobKey(root, id)
    local f = redis.call('HMGET', jk, 'state', 'node', 'abort', 'pool')
    local state, node = f[1], f[2]
    if state == 'WAITING' or state == 'QUEUED' then
      transition(root, id, state, 'ABORTED', node, now, 'finishedAt', now, 'error', errJson)
      retire(root, id, node, f[4], nil, false)
      if state == 'QUEUED' then
        dead[node] = (dead[node] or 0) + 1
        redis.call('ZREM', delayedKey(), root .. '|' .. id) -- a retry waiting for its time
      end
    elseif state == 'RUNNING' and not f[3] then
      redis.call('HSET', jk, 'abort', errJson)
      redis.call('RPUSH', signalsKey(node), root .. '|' .. id)
      redis.call('PUBLISH', signalChannel(node), root .. '|' .. id)
    end
  end
  pruneQueues(root, dead)
end

-- SPEC §17: an abort touches at most ABORT_CHUNK jobs per script, so that
-- no script holds Redis long; a bigger tree is marked `aborting` (claims
-- and ends of its jobs then act as if each were aborted already) and the
-- rest goes chunk by chunk (abortMore), driven by the caller that started
-- it and, should it die, by the housekeeper (P:aborting). `abortsLeft`
-- lists the trees a script leaves to be continued.
local ABORT_CHUNK = 500 -- ~10 ms a chunk here: room under 50 ms on a loaded machine
local abortsLeft = {}

-- One more chunk of an aborting tree; true when none is left.
local function abortMore(root, now)
  local tk = treeKey(root)
  local f = redis.call('HMGET', tk, 'aborting', 'abortCursor')
  if not f[2] then return true end
  local scan = redis.call('SSCAN', activeKey(root), f[2], 'COUNT', ABORT_CHUNK)
  abortJobs(root, scan[2], now, f[1])
  if scan[1] == '0' then
    redis.call('HDEL', tk, 'abortCursor')
    redis.call('ZREM', abortingKey(), root)
    abortsLeft[root] = nil
    return true
  end
  redis.call('HSET', tk, 'abortCursor', scan[1])
  abortsLeft[root] = true
  return false
end

-- The trees whose abort this script leaves to be continued (abortsLeft).
local function leftAborts()
  local roots = {}
  for root in pairs(abortsLeft) do roots[#roots + 1] = root end
  return roots
end

-- SPEC §4 rule 4 for a whole tree; `cause` is the job whose end (or abort by
-- a user) brought it down. A tree of more than ABORT_CHUNK active jobs is
-- aborted in chunks (abortMore).
local function abortRest(root, now, errJson, cause)
  local tk = treeKey(root)
  -- the first job to bring the tree down is what its handlers are told of (SPEC §15)
  redis.call('HSETNX', tk, 'cause', cause)
  local t = tally(root)
  if t.aborting then
    abortMore(root, now)
    return
  end
  if redis.call('SCARD', activeKey(root)) <= ABORT_CHUNK then
    abortJobs(root, redis.call('SMEMBERS', activeKey(root)), now, errJson)
    return
  end
  t.aborting = errJson
  redis.call('HSET', tk, 'aborting', errJson, 'abortCursor', '0')
  redis.call('ZADD', abortingKey(), now, root)
  abortMore(root, now)
end
