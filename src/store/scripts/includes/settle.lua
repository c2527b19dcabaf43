--[[
  settle: the end of a tree (SPEC §4 rule 6): once no job is active it
  takes its final state, its handlers start (§15) and its definition's
  next message may go (§13); and the steps of a handler tree, each after
  the one before it.
  Writes P:{R}:tree, P:state:<S>, P:finished, P:aborting,
  P:def:<name>:running; publishes on P:defs:wake.
]]
--@include keys
--@include tally
--@include wake
--@include handlers
--@include abort

-- SPEC §4 rule 6: once no job is active the tree takes its final state.
local function settleTree(root, now)
  if redis.call('SCARD', activeKey(root)) > 0 then return end
  local tk = treeKey(root)
  local f = redis.call('HMGET', tk, 'state', 'createdAt', 'def')
  if f[1] ~= 'RUNNING' then return end
  local n = tally(root).n
  local state = 'SUCCESS'
  if n.FAILED > 0 then state = 'FAILED'
  elseif n.ABORTED > 0 then state = 'ABORTED' end
  redis.call('HSET', tk, 'state', state, 'finishedAt', now)
  redis.call('ZREM', stateKey('RUNNING'), root)
  if tally(root).aborting then
    redis.call('ZREM', abortingKey(), root)
    abortsLeft[root] = nil
  end
  redis.call('ZADD', stateKey(state), f[2], root)
  -- a handler tree is deleted with the tree it handles, never on its own
  if not tally(root).handlerOf then redis.call('ZADD', finishedKey(), now, root) end
  if state ~= 'SUCCESS' then startHandlers(root, state, now) end
  -- a definition's run frees its place among the definition's running runs,
  -- however it ended, and the next message may start (SPEC §13)
  if f[3] then
    redis.call('SREM', defRunningKey(f[3]), root)
    redis.call('PUBLISH', defsWakeChannel(), f[3])
  end
end

-- SPEC §15: in a handler tree each job runs after the one before it,
-- whatever that one's end: an end queues the next step (instead of freeing
-- a parent or aborting the rest), and the last step's end settles the tree.
local function stepEnded(root, id, now)
  local nextId = redis.call('HGET', jobKey(root, id), 'next')
  if nextId then
    local f = redis.call('HMGET', jobKey(root, nextId), 'state', 'node')
    if f[1] == 'WAITING' then
      transition(root, nextId, 'WAITING', 'QUEUED', f[2], now, 'queuedAt', now)
      enqueue(root, nextId, f[2])
    end
  end
  settleTree(root, now)
end
