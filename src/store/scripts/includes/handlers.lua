--[[
  handlers: SPEC §15 failure handlers, started when a tree settles FAILED
  or ABORTED (settle.lua).
  A tree with handlers carries on P:{R}:tree `handlers` (the root id of its
  handler tree, planned at submission) and, with an onFailure job,
  `onFailure` (its planned jobs, children first, as JSON). A job with a
  compensation carries `compensate` (its planned handler job); its success
  is added to P:{R}:compensable, scored by when the job succeeded: an end
  that reaches Redis late (journalled in an outage) takes its place by its
  time, not by when Redis heard of it (issue 26).
]]
--@include keys
--@include util
--@include tally
--@include write

-- The jobs whose compensation runs, the first success first: scored by
-- its time, each member `<seq>|<id>` so that two successes of the same
-- millisecond keep the order Redis applied them (equal scores sort by
-- member). A tree of a version before the sorted set keeps a list of ids,
-- in the order Redis applied the successes.
local function compensableJobs(root)
  local key = compensableKey(root)
  if redis.call('TYPE', key).ok == 'list' then return redis.call('LRANGE', key, 0, -1) end
  local ids = {}
  for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    ids[#ids + 1] = string.match(member, '^%d+|(.+)$') or member
  end
  return ids
end

-- Records a success whose compensation may run (finish.lua), at its time.
local function addCompensable(root, id, finishedAt)
  local member = string.format('%012d|%s', tally(root).seq, id)
  redis.call('ZADD', compensableKey(root), finishedAt, member)
end

-- What the handlers are told of the tree's end (ctx.outcome): its state
-- and the job that brought it down, with that job's title and error.
local function outcomeOf(root, state)
  local cause = redis.call('HGET', treeKey(root), 'cause')
  local failed = cjson.null
  if cause then
    local c = redis.call('HMGET', jobKey(root, cause), 'title', 'error')
    local err = cjson.null
    if c[2] then err = cjson.decode(c[2]) end
    failed = { job = cause, title = c[1], error = err }
  end
  return cjson.encode({ state = state, failed = failed })
end

-- The tree `root` ended `state` (FAILED or ABORTED). Its handler tree is
-- written and its first step queued: the compensations of the jobs that
-- succeeded, the last success first, each on the node that ran its job;
-- then the onFailure jobs; last the handler tree's root, a noop on any
-- node. Each step names the next in `next` (stepEnded). Nothing is written
-- when the tree has no handlers, was aborted without them, or has nothing
-- to run (no compensated job succeeded and no onFailure).
local function startHandlers(root, state, now)
  local h = redis.call('HMGET', treeKey(root), 'handlers', 'onFailure', 'noHandlers', 'title', 'tags')
  local hroot = h[1]
  if not hroot or h[3] then return end
  local steps, direct = {}, {}
  local succeeded = compensableJobs(root)
  for i = #succeeded, 1, -1 do
    local c = redis.call('HMGET', jobKey(root, succeeded[i]), 'compensate', 'node')
    local spec = cjson.decode(c[1])
    steps[#steps + 1] = { id = spec.id, title = spec.title, type = spec.type, params = spec.params,
      timeoutMs = spec.timeoutMs, node = c[2], parent = hroot, children = '[]', pending = 0 }
    direct[#direct + 1] = spec.id
  end
  if h[2] then
    for _, j in ipairs(cjson.decode(h[2])) do
      steps[#steps + 1] = j
      if j.parent == hroot then direct[#direct + 1] = j.id end
    end
  end
  if #steps == 0 then return end
  local title = 'handlers of ' .. h[4]
  steps[#steps + 1] = { id = hroot, title = title, type = 'noop', node = '*', params = '{}',
    children = cjson.encode(direct), pending = 0 }
  for i, s in ipairs(steps) do
    s.state = 'WAITING'
    if i == 1 then s.state = 'QUEUED' end
    if i < #steps then s.next = steps[i + 1].id end
  end
  redis.call('HSET', treeKey(hroot), 'root', hroot, 'title', title, 'node', '*', 'state', 'RUNNING',
    'seq', 0, 'tags', h[5], 'createdAt', now, 'total', 0, 'handlerOf', root,
    'outcome', outcomeOf(root, state))
  -- the handlers see the tree's context as it was when it ended
  inChunks('HSET', ctxKey(hroot), redis.call('HGETALL', ctxKey(root)))
  writeJobs(hroot, steps, now)
  -- listed among all trees and by state, but not under the tags it shows:
  -- a tag query (a definition's runs among them) finds the tree, not its handlers
  indexTree(hroot, '{}', now)
end
