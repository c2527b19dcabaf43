--[[
  retire: what a job that ended leaves behind in the cluster's sets.
  Writes P:{R}:active, P:running:<node>, P:pool:<name>.
]]
--@include keys
--@include pools

-- A job reached a terminal state: it leaves the active set and its node's
-- running set (it may not be in it), and its pool's count of the jobs that
-- name it; a job that was RUNNING also gives its pool slots back. `pool` is
-- the job's `pool` field (nil or false without one), `k` its `poolSlots`.
local function retire(root, id, node, pool, k, wasRunning)
  redis.call('SREM', activeKey(root), id)
  redis.call('SREM', runningKey(node), root .. '|' .. id)
  if pool then
    redis.call('HINCRBY', poolKey(pool), 'refs', -1)
    if wasRunning then
      redis.call('HINCRBY', poolKey(pool), 'used', -(tonumber(k) or 1))
      offerPoolSlots(pool)
    end
  end
end
