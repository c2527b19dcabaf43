--[[
  Retention (SPEC §9): deletes a finished tree and every key and index entry
  it made, or nothing when the tree is still running.
  KEYS[1] P:{R}:tree
  ARGV[1] prefix  ARGV[2] root id
  Deletes P:{R}:tree, P:{R}:ctx, P:{R}:active, P:{R}:parked, P:{R}:job:<id> of every job
  (found by walking `children` from the root), and removes the tree's
  entries from P:jobroot, P:trees, P:state:<S>, P:finished, P:tag:<k>=<v>,
  and any queue or signal entry of its jobs still left on a node's list
  (aborted before a claim popped them, or signalled to a node that never
  came back).
  Returns the number of jobs deleted; 0 when the tree does not exist;
  -1 when it is still RUNNING (nothing deleted).
  Cost: one pass over the tree, plus one pass over each node list that may
  hold its entries (never one LREM per job, which is quadratic).
]]
--@include common
local root = ARGV[2]

-- Removes every `root|...` entry of a list in one pass.
local function dropEntries(list)
  local mark = root .. '|'
  local kept, dropped = {}, false
  for _, item in ipairs(redis.call('LRANGE', list, 0, -1)) do
    if string.sub(item, 1, #mark) == mark then dropped = true else kept[#kept + 1] = item end
  end
  if not dropped then return end
  redis.call('DEL', list)
  for i = 1, #kept, 1000 do
    redis.call('RPUSH', list, unpack(kept, i, math.min(i + 999, #kept)))
  end
end

local t = redis.call('HMGET', KEYS[1], 'state', 'tags')
if not t[1] then
  redis.call('ZREM', P .. ':finished', root) -- a stale entry would come back every sweep
  return 0
end
if t[1] == 'RUNNING' then return -1 end
local n = 0
local lists = {}
local level = { root }
while #level > 0 do
  local nextLevel = {}
  for _, id in ipairs(level) do
    local jk = jobKey(root, id)
    local f = redis.call('HMGET', jk, 'children', 'node', 'queuedAt', 'startedAt', 'abort')
    for _, cid in ipairs(cjson.decode(f[1] or '[]')) do nextLevel[#nextLevel + 1] = cid end
    if f[3] and not f[4] then lists[queueKey(f[2])] = true end
    if f[5] then lists[P .. ':signals:' .. f[2]] = true end
    redis.call('HDEL', P .. ':jobroot', id)
    redis.call('DEL', jk)
    n = n + 1
  end
  level = nextLevel
end
for list in pairs(lists) do dropEntries(list) end
redis.call('DEL', KEYS[1], ctxKey(root), activeKey(root), parkedKey(root))
redis.call('ZREM', P .. ':trees', root)
redis.call('ZREM', P .. ':state:' .. t[1], root)
redis.call('ZREM', P .. ':finished', root)
for k, v in pairs(cjson.decode(t[2])) do redis.call('ZREM', P .. ':tag:' .. k .. '=' .. v, root) end
return n
