--[[
  Retention (SPEC §9): deletes a finished tree and every key and index entry
  it made, at most ~1,000 jobs a call (SPEC §17: no script holds Redis
  long), or nothing when the tree is still running.
  KEYS[1] P:{R}:tree
  ARGV[1] prefix  ARGV[2] root id
  The first call takes the tree out of P:trees, P:state:<S> and its tag
  indexes (it is gone for every query from then on) and marks it
  `deleting`; each call then deletes the next jobs found by walking
  `children` from the root (the frontier is the list P:{R}:doomed; a job of
  very many children is expanded a chunk at a time, never decoded whole), with
  their P:jobroot entries and any queue or signal entry left on a node's
  list (aborted before a claim popped it, or signalled to a node that never
  came back; a list over 5,000 entries is left to the claims, which drop
  such entries, rather than rewritten). The last call deletes P:{R}:tree,
  P:{R}:ctx, P:{R}:active, P:{R}:parked, the archived logs (SPEC §19) and the rest, and the P:finished
  entry, which keeps a half-deleted tree in the next sweep.
  Returns {code, jobs deleted by this call, handler tree root or ''}: code
  1 done, 0 more to do, -1 the tree or its handler tree (SPEC §15, deleted
  after it by the caller) is still RUNNING; {1, 0, ''} when there is no
  such tree.
]]
--@include keys
--@include util
local root = ARGV[2]
local DELETE_CHUNK, MAX_LIST = 500, 5000
local tk = KEYS[1]
local doomed = doomedKey(root)

-- Removes every `root|...` entry of a short list in one pass.
local function dropEntries(list)
  if redis.call('LLEN', list) > MAX_LIST then return end
  local mark = root .. '|'
  local kept, dropped = {}, false
  for _, item in ipairs(redis.call('LRANGE', list, 0, -1)) do
    if string.sub(item, 1, #mark) == mark then dropped = true else kept[#kept + 1] = item end
  end
  if not dropped then return end
  redis.call('DEL', list)
  inChunks('RPUSH', list, kept)
end

local t = redis.call('HMGET', tk, 'state', 'tags', 'handlers', 'deleting')
if not t[1] then
  redis.call('ZREM', finishedKey(), root) -- a stale entry would come back every sweep
  return { 1, 0, '' }
end
if t[1] == 'RUNNING' then return { -1, 0, '' } end
local hroot = t[3]
if hroot and redis.call('HGET', treeKey(hroot), 'state') == 'RUNNING' then return { -1, 0, '' } end
if not t[4] then
  redis.call('ZREM', treesKey(), root)
  redis.call('ZREM', stateKey(t[1]), root)
  for k, v in pairs(cjson.decode(t[2])) do redis.call('ZREM', tagKey(k, v), root) end
  redis.call('HSET', tk, 'deleting', '1')
  redis.call('DEL', doomed)
  redis.call('RPUSH', doomed, root)
end

-- Deletes one job whose children are on the frontier already.
local n, lists = 0, {}
local function deleteJob(id, f)
  if f[3] and not f[4] then lists[queueKey(f[2])] = true end
  if f[5] then lists[signalsKey(f[2])] = true end
  redis.call('HDEL', jobRootKey(), id)
  redis.call('DEL', jobKey(root, id))
  n = n + 1
end

-- A job of very many children is expanded a budget at a time, by scanning
-- its `children` JSON from a position (`@<id>:<pos>` on the frontier)
-- instead of decoding it whole; the job goes once all are on the frontier.
-- The text (~40 bytes a child) is read whole once and copied to
-- P:{R}:doomtext:<id>; each later call reads the next window of it
-- (GETRANGE), not the whole text again.
local WINDOW = DELETE_CHUNK * 64

local function scan(text, pos, budget)
  local found = {}
  while #found < budget do
    local s, e, cid = string.find(text, '"([^"]+)"', pos)
    if not s then break end
    found[#found + 1] = cid
    pos = e + 1
  end
  return found, pos
end
local function expandFirst(id, budget, f)
  local found, pos = scan(f[1], 1, budget)
  inChunks('RPUSH', doomed, found)
  -- the ids grafted once the list was long follow it (`,"id",...`: addChildren)
  if #found == budget then
    redis.call('SET', doomTextKey(root, id), f[1])
    if f[6] then redis.call('APPEND', doomTextKey(root, id), f[6]) end
    redis.call('RPUSH', doomed, '@' .. id .. ':' .. pos)
  else
    inChunks('RPUSH', doomed, graftedIds(f[6]))
    deleteJob(id, f)
  end
  return #found
end
local function expandFrom(id, pos, budget)
  local window = redis.call('GETRANGE', doomTextKey(root, id), pos - 1, pos - 2 + WINDOW)
  local found, at = scan(window, 1, budget)
  inChunks('RPUSH', doomed, found)
  if #found == budget or #window == WINDOW then -- the window ended before the text did
    redis.call('RPUSH', doomed, '@' .. id .. ':' .. (pos + at - 1))
  else
    redis.call('DEL', doomTextKey(root, id))
    deleteJob(id, redis.call('HMGET', jobKey(root, id), 'id', 'node', 'queuedAt', 'startedAt', 'abort'))
  end
  return #found
end

local budget = DELETE_CHUNK
while budget > 0 do
  local item = redis.call('LPOP', doomed)
  if not item then break end
  if string.sub(item, 1, 1) == '@' then
    local sep = string.find(item, ':', 2, true)
    budget = budget - expandFrom(string.sub(item, 2, sep - 1), tonumber(string.sub(item, sep + 1)), budget)
  else
    local f = redis.call('HMGET', jobKey(root, item), 'children', 'node', 'queuedAt', 'startedAt', 'abort',
      'grafts')
    if f[1] and #f[1] > PAYLOAD_CHILDREN_BYTES then
      budget = budget - expandFirst(item, budget, f)
    else
      inChunks('RPUSH', doomed, cjson.decode(f[1] or '[]'))
      inChunks('RPUSH', doomed, graftedIds(f[6]))
      deleteJob(item, f)
      budget = budget - 1
    end
  end
end
for list in pairs(lists) do dropEntries(list) end
if redis.call('EXISTS', doomed) == 1 then return { 0, n, '' } end
redis.call('DEL', tk, ctxKey(root), activeKey(root), parkedKey(root), compensableKey(root),
  stageKey(root), leavesKey(root), logNodesKey(root))
-- the logs of a big tree may weigh gigabytes: freed in the background, not in this call
redis.call('UNLINK', logsKey(root))
redis.call('ZREM', finishedKey(), root)
if hroot and redis.call('EXISTS', treeKey(hroot)) == 1 then return { 1, n, hroot } end
return { 1, n, '' }
