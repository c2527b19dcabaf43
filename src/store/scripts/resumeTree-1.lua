--[[
  Resumes a paused tree: the jobs parked while it was paused and still
  QUEUED go back to the tail of their nodes' queues, and those nodes get a
  wake. P:paused gets {root, paused: false, at}.
  KEYS[1] P:{R}:tree
  ARGV[1] prefix  ARGV[2] root id  ARGV[3] now (ms)
  Returns 1 resumed; 0 not paused (nothing written); -1 no such tree;
  -2 the tree has finished.
]]
--@include wake
local root = ARGV[2]
local t = redis.call('HMGET', KEYS[1], 'state', 'paused')
if not t[1] then return -1 end
if t[1] ~= 'RUNNING' then return -2 end
if not t[2] then return 0 end
redis.call('HDEL', KEYS[1], 'paused')
local queued = {}
-- A parked job may have been aborted, or sent back to WAITING by a graft.
for _, id in ipairs(redis.call('LRANGE', parkedKey(root), 0, -1)) do
  local f = redis.call('HMGET', jobKey(root, id), 'state', 'node')
  if f[1] == 'QUEUED' then addTo(queued, f[2], root .. '|' .. id) end
end
redis.call('DEL', parkedKey(root))
for node, entries in pairs(queued) do enqueueAll(node, entries) end
sendWakes()
redis.call('PUBLISH', pausedChannel(), cjson.encode({ root = root, paused = false, at = tonumber(ARGV[3]) }))
return 1
