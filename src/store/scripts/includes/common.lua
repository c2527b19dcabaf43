--[[
  Shared helpers of every jobtree script, pasted in at load time by
  load-scripts.ts where a script says  --@include common
  Key layout (docs/design.md):
    P:{R}:tree  P:{R}:ctx  P:{R}:active  P:{R}:job:<id>   (one tree, one slot)
    P:queue:<node>  P:running:<node>  P:signals:<node>  P:state:<S>  P:trees
  Every state change goes through transition(): write, count, seq, publish,
  so each is published exactly once and only from inside the script that
  wrote it (SPEC §4 rule 8).
]]
local P = ARGV[1]

local function treeKey(root) return P .. ':{' .. root .. '}:tree' end
local function ctxKey(root) return P .. ':{' .. root .. '}:ctx' end
local function activeKey(root) return P .. ':{' .. root .. '}:active' end
local function jobKey(root, id) return P .. ':{' .. root .. '}:job:' .. id end
local function queueKey(node) return P .. ':queue:' .. node end
local function runningKey(node) return P .. ':running:' .. node end

-- Write a job's new state, keep the tree's per-state counts, bump the tree's
-- seq and publish the §4.8 message. prev is false for a new job.
local function transition(root, id, prev, state, node, now)
  local tk = treeKey(root)
  redis.call('HSET', jobKey(root, id), 'state', state)
  if prev then redis.call('HINCRBY', tk, 'n:' .. prev, -1) end
  redis.call('HINCRBY', tk, 'n:' .. state, 1)
  local seq = redis.call('HINCRBY', tk, 'seq', 1)
  redis.call('PUBLISH', P .. ':status', cjson.encode({
    root = root, job = id, state = state, prev = prev or cjson.null,
    node = node, at = tonumber(now), seq = seq }))
end

-- Wakes are collected and sent once per node at the end of a script.
local wakes = {}
local function enqueue(root, id, node)
  redis.call('RPUSH', queueKey(node), root .. '|' .. id)
  wakes[node] = true
end
local function sendWakes()
  for node in pairs(wakes) do redis.call('PUBLISH', P .. ':wake:' .. node, '1') end
end

-- A job reached a terminal state: it leaves the active set and its node's
-- running set (it may not be in it).
local function retire(root, id, node)
  redis.call('SREM', activeKey(root), id)
  redis.call('SREM', runningKey(node), root .. '|' .. id)
end

-- SPEC §4 rule 4: WAITING/QUEUED jobs end ABORTED now; RUNNING ones are
-- flagged and signalled to their node, and end ABORTED when they stop.
local function abortRest(root, now, errJson)
  local ids = redis.call('SMEMBERS', activeKey(root))
  for _, id in ipairs(ids) do
    local jk = jobKey(root, id)
    local f = redis.call('HMGET', jk, 'state', 'node', 'abort')
    local state, node = f[1], f[2]
    if state == 'WAITING' or state == 'QUEUED' then
      redis.call('HSET', jk, 'finishedAt', now, 'error', errJson)
      transition(root, id, state, 'ABORTED', node, now)
      retire(root, id, node)
    elseif state == 'RUNNING' and not f[3] then
      redis.call('HSET', jk, 'abort', errJson)
      redis.call('RPUSH', P .. ':signals:' .. node, root .. '|' .. id)
      redis.call('PUBLISH', P .. ':signal:' .. node, root .. '|' .. id)
    end
  end
end

-- SPEC §4 rule 6: once no job is active the tree takes its final state.
local function settleTree(root, now)
  if redis.call('SCARD', activeKey(root)) > 0 then return end
  local tk = treeKey(root)
  local f = redis.call('HMGET', tk, 'state', 'n:FAILED', 'n:ABORTED', 'createdAt')
  if f[1] ~= 'RUNNING' then return end
  local state = 'SUCCESS'
  if tonumber(f[2] or '0') > 0 then state = 'FAILED'
  elseif tonumber(f[3] or '0') > 0 then state = 'ABORTED' end
  redis.call('HSET', tk, 'state', state, 'finishedAt', now)
  redis.call('ZREM', P .. ':state:RUNNING', root)
  redis.call('ZADD', P .. ':state:' .. state, f[4], root)
  redis.call('ZADD', P .. ':finished', now, root)
end

-- What the runner needs of a job as one JSON string. User JSON (params,
-- results, context values) travels as strings so Lua never re-encodes it.
local function jobPayload(root, id, startedAt)
  local f = redis.call('HMGET', jobKey(root, id), 'type', 'title', 'params', 'timeoutMs',
    'children', 'parent', 'queuedAt')
  local children = {}
  for _, cid in ipairs(cjson.decode(f[5])) do
    local c = redis.call('HMGET', jobKey(root, cid), 'key', 'result', 'summary')
    children[#children + 1] = { id = cid, key = c[1] or cjson.null,
      result = c[2] or cjson.null, summary = c[3] or cjson.null }
  end
  local t = redis.call('HMGET', treeKey(root), 'tags')
  return cjson.encode({ id = id, root = root, type = f[1], title = f[2], params = f[3],
    timeoutMs = f[4] or cjson.null, parent = f[6] or cjson.null, queuedAt = f[7],
    startedAt = startedAt, children = children, tags = t[1],
    context = redis.call('HGETALL', ctxKey(root)) })
end

-- QUEUED → RUNNING for `node` with fencing `token`; returns the payload.
-- A job never starts before it was queued: a claim whose `now` went stale
-- in a client's retry queue (an outage) starts at queuedAt instead.
local function claimOne(root, id, node, token, now)
  local jk = jobKey(root, id)
  local f = redis.call('HMGET', jk, 'state', 'queuedAt')
  if f[1] ~= 'QUEUED' then return nil end
  local startedAt = now
  if f[2] and tonumber(f[2]) > tonumber(now) then startedAt = f[2] end
  redis.call('HSET', jk, 'node', node, 'token', token, 'startedAt', startedAt)
  transition(root, id, 'QUEUED', 'RUNNING', node, startedAt)
  redis.call('SADD', runningKey(node), root .. '|' .. id)
  return jobPayload(root, id, startedAt)
end

-- Writes planned jobs (submitTree, addChildren); leaves are queued.
local function writeJobs(root, jobs, now)
  local ak = activeKey(root)
  for _, j in ipairs(jobs) do
    local jk = jobKey(root, j.id)
    redis.call('HSET', jk, 'id', j.id, 'root', root, 'title', j.title, 'type', j.type,
      'node', j.node, 'params', j.params, 'children', j.children,
      'pending', j.pending, 'createdAt', now)
    if j.parent then redis.call('HSET', jk, 'parent', j.parent) end
    if j.key then redis.call('HSET', jk, 'key', j.key) end
    if j.timeoutMs then redis.call('HSET', jk, 'timeoutMs', j.timeoutMs) end
    redis.call('SADD', ak, j.id)
    redis.call('HSET', P .. ':jobroot', j.id, root)
    transition(root, j.id, false, j.state, j.node, now)
    if j.state == 'QUEUED' then
      redis.call('HSET', jk, 'queuedAt', now)
      enqueue(root, j.id, j.node)
    end
  end
  redis.call('HINCRBY', treeKey(root), 'total', #jobs)
end

-- Pops queue entries for `node` (its own queue, then the any-node queue)
-- and claims up to `max` of them; entries of jobs no longer QUEUED are
-- dropped (aborted or re-waited since they were queued).
local function claimFromQueues(queues, node, max, token, now)
  local out = {}
  local skipped = 0
  for _, q in ipairs(queues) do
    while #out < max and skipped < 1000 do
      local item = redis.call('LPOP', q)
      if not item then break end
      local sep = string.find(item, '|', 1, true)
      local payload = claimOne(string.sub(item, 1, sep - 1), string.sub(item, sep + 1), node, token, now)
      if payload then out[#out + 1] = payload else skipped = skipped + 1 end
    end
  end
  return out
end
