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
  A tree's handler tree (SPEC §15) is deleted with it, in the same way.
  Returns the number of jobs deleted; 0 when the tree does not exist;
  -1 when it or its handler tree is still RUNNING (nothing deleted).
  Cost: one pass over the tree, plus one pass over each node list that may
  hold its entries (never one LREM per job, which is quadratic).
]]
--@include common
local root = ARGV[2]

-- Removes every `tree|...` entry of a list in one pass.
local function dropEntries(list, tree)
  local mark = tree .. '|'
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

-- Deletes one finished tree's keys and index entries; answers its job count.
local function deleteOne(tree, t)
  local n = 0
  local lists = {}
  local level = { tree }
  while #level > 0 do
    local nextLevel = {}
    for _, id in ipairs(level) do
      local jk = jobKey(tree, id)
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
  for list in pairs(lists) do dropEntries(list, tree) end
  redis.call('DEL', treeKey(tree), ctxKey(tree), activeKey(tree), parkedKey(tree), compensableKey(tree))
  redis.call('ZREM', P .. ':trees', tree)
  redis.call('ZREM', P .. ':state:' .. t[1], tree)
  redis.call('ZREM', P .. ':finished', tree)
  for k, v in pairs(cjson.decode(t[2])) do redis.call('ZREM', P .. ':tag:' .. k .. '=' .. v, tree) end
  return n
end

local t = redis.call('HMGET', KEYS[1], 'state', 'tags', 'handlers')
if not t[1] then
  redis.call('ZREM', P .. ':finished', root) -- a stale entry would come back every sweep
  return 0
end
if t[1] == 'RUNNING' then return -1 end
-- SPEC §15: the tree's handler tree goes with it, once it has ended too
local h = t[3] and redis.call('HMGET', treeKey(t[3]), 'state', 'tags')
if h and h[1] == 'RUNNING' then return -1 end
local n = deleteOne(root, t)
if h and h[1] then n = n + deleteOne(t[3], h) end
return n
