--[[
  One more step of a committed big tree (SPEC §17): while jobs are left to
  announce, the next ~1,000 in plan order (parents before children) lose
  their expiry, enter the id index and get their creation message (prev
  null), and their leaves are set aside on P:{R}:leaves; then ~2,000
  leaves a call go to their nodes' queues. No job can start before every
  job was announced, so every message of a job comes after its creation's.
  KEYS[1] P:{R}:tree
  ARGV[1] prefix  ARGV[2] root  ARGV[3] now
  Returns 1 when the tree is stored whole (or was already), 0 when more is left.
]]
--@include write
local root, now = ARGV[2], ARGV[3]
local ANNOUNCE_CHUNK, QUEUE_CHUNK = 500, 1000
local f = redis.call('HMGET', KEYS[1], 'storing', 'announced', 'total')
if not f[1] then return 1 end
local from, total = tonumber(f[2]), tonumber(f[3])
redis.call('ZADD', storingKey(), now, root) -- progress: the housekeeper leaves it to its caller
if from < total then
  local ids = redis.call('LRANGE', stageKey(root), from, from + ANNOUNCE_CHUNK - 1)
  local roots, leaves = {}, {}
  for _, id in ipairs(ids) do
    local jk = jobKey(root, id)
    redis.call('PERSIST', jk)
    local j = redis.call('HMGET', jk, 'state', 'node')
    roots[#roots + 1] = id
    roots[#roots + 1] = root
    publish(root, id, false, j[1], j[2], now)
    if j[1] == 'QUEUED' then leaves[#leaves + 1] = j[2] .. '|' .. id end
  end
  inChunks('HSET', jobRootKey(), roots)
  inChunks('RPUSH', leavesKey(root), leaves)
  redis.call('HSET', KEYS[1], 'announced', from + #ids)
  return 0
end
local entries = redis.call('LPOP', leavesKey(root), QUEUE_CHUNK)
if entries then
  local byNode = {}
  for _, e in ipairs(entries) do
    local sep = string.find(e, '|', 1, true)
    addTo(byNode, string.sub(e, 1, sep - 1), root .. '|' .. string.sub(e, sep + 1))
  end
  for node, list in pairs(byNode) do enqueueAll(node, list) end
  sendWakes()
end
if redis.call('EXISTS', leavesKey(root)) == 1 then return 0 end
redis.call('DEL', stageKey(root))
redis.call('HDEL', KEYS[1], 'storing', 'announced')
redis.call('ZREM', storingKey(), root)
return 1
