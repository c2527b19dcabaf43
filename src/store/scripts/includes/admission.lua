--[[
  leavesCannotStart(perNode, perPool): for a submission with admission
  "reject" (SPEC §12), why one of its leaves could not start at once, or
  nil when all can.
  A node's free slots are its concurrency less its running jobs and the
  entries already on its queue (they are ahead of these); a `*` leaf may
  use any live node's. A pool's free slots are its slots less those held.
  Includes what it uses (keys).
]]
--@include keys

local function nodeFree(node)
  if redis.call('EXISTS', aliveKey(node)) == 0 then return 0 end
  local concurrency = tonumber(redis.call('HGET', nodeKey(node), 'concurrency')) or 0
  return concurrency - redis.call('SCARD', runningKey(node)) - redis.call('LLEN', queueKey(node))
end

local function anyNodeFree()
  local free = -redis.call('LLEN', queueKey('*'))
  for _, node in ipairs(redis.call('SMEMBERS', nodesKey())) do
    local f = nodeFree(node)
    if f > 0 then free = free + f end
  end
  return free
end

-- perNode: leaves per node; perPool: the pool slots the leaves need.
local function leavesCannotStart(perNode, perPool)
  for pool, k in pairs(perPool) do
    local f = redis.call('HMGET', poolKey(pool), 'slots', 'used')
    local free = (tonumber(f[1]) or 0) - (tonumber(f[2]) or 0)
    if free < k then
      return 'pool ' .. pool .. ' has ' .. math.max(free, 0) .. ' free slots, the tree needs ' .. k
    end
  end
  for node, n in pairs(perNode) do
    local free
    if node == '*' then free = anyNodeFree() else free = nodeFree(node) end
    if free < n then
      local where = node == '*' and 'the live nodes have' or ('node ' .. node .. ' has')
      return where .. ' ' .. math.max(free, 0) .. ' free slots, the tree needs ' .. n
    end
  end
  return nil
end
