--[[
  Shared helpers of every jobtree script, pasted in at load time by
  load-scripts.ts where a script says  --@include common
  Key layout (docs/design.md):
    P:{R}:tree  P:{R}:ctx  P:{R}:active  P:{R}:parked  P:{R}:job:<id>   (one tree, one slot)
    P:{R}:compensable                                                        (SPEC §15)
    P:{R}:stage  P:{R}:leaves                                                (SPEC §17)
    P:queue:<node>  P:running:<node>  P:signals:<node>  P:state:<S>  P:trees
    P:pool:<name>  P:pool:<name>:waiting                                    (SPEC §12)
  Every state change goes through transition() (or announce() after a write
  that set the state): count, seq, publish, so each is published exactly
  once and only from inside the script that wrote it (SPEC §4 rule 8).
]]
local P = ARGV[1]

local function treeKey(root) return P .. ':{' .. root .. '}:tree' end
local function ctxKey(root) return P .. ':{' .. root .. '}:ctx' end
local function activeKey(root) return P .. ':{' .. root .. '}:active' end
local function parkedKey(root) return P .. ':{' .. root .. '}:parked' end
local function jobKey(root, id) return P .. ':{' .. root .. '}:job:' .. id end
-- SPEC §17, a big tree stored in steps: its job ids in plan order, then its
-- leaves (`node|J`) waiting to be queued once every job is announced.
local function stageKey(root) return P .. ':{' .. root .. '}:stage' end
local function leavesKey(root) return P .. ':{' .. root .. '}:leaves' end
local function queueKey(node) return P .. ':queue:' .. node end
-- SPEC §14: `R|J` of retries waiting for their time, scored by runAt.
local function delayedKey() return P .. ':delayed' end
local function runningKey(node) return P .. ':running:' .. node end
local function poolKey(name) return P .. ':pool:' .. name end
local function poolWaitKey(name) return P .. ':pool:' .. name .. ':waiting' end

-- A queue, retry or running-set entry `R|J`; nil for anything else (SPEC
-- §18: an entry written by hand, an old version or a bug is dropped, never
-- an error that stops the claim, or a key built outside the tree's slot).
local function entryOf(item)
  local root, id = string.match(item, '^([%x%-]+)|([%x%-]+)$')
  if root and #root == 36 and #id == 36 then return root, id end
  return nil
end

local STATES = { 'WAITING', 'QUEUED', 'RUNNING', 'SUCCESS', 'FAILED', 'ABORTED' }

-- A tree's counters (seq, n:<state>), tags, pause, the error of an abort
-- still under way (SPEC §17, `aborting`) and (in a handler tree, SPEC §15)
-- the tree it handles and that tree's outcome as this script sees them:
-- read from P:{R}:tree at its first use, written back once when the script
-- ends. A job's end plus the claim of the next job moved the counters six
-- times, one HINCRBY each; now it is one HMGET and one HSET per tree.
local tallies = {}
local function tally(root)
  local t = tallies[root]
  if t then return t end
  local f = redis.call('HMGET', treeKey(root), 'seq', 'tags', 'n:WAITING', 'n:QUEUED',
    'n:RUNNING', 'n:SUCCESS', 'n:FAILED', 'n:ABORTED', 'paused', 'handlerOf', 'outcome', 'aborting')
  t = { seq = tonumber(f[1]) or 0, tags = f[2], paused = f[9], handlerOf = f[10], outcome = f[11],
    aborting = f[12], n = {}, moved = {} }
  for i, s in ipairs(STATES) do t.n[s] = tonumber(f[i + 2]) or 0 end
  tallies[root] = t
  return t
end
local function saveTallies()
  for root, t in pairs(tallies) do
    local args = {}
    for s in pairs(t.moved) do
      args[#args + 1] = 'n:' .. s
      args[#args + 1] = t.n[s]
    end
    if t.published then redis.call('HSET', treeKey(root), 'seq', t.seq, unpack(args)) end
  end
end
-- afterBody is declared by the wrapper load-scripts.ts puts around every
-- script: its hooks run when the body has returned, whichever return it took.
afterBody[#afterBody + 1] = saveTallies

-- Takes the tree's next seq and publishes the §4.8 message of a state the
-- tree's counters have already (announce counts it first; a staged tree's
-- counts are written whole by commitTree).
local function publish(root, id, prev, state, node, now, extra)
  local t = tally(root)
  t.seq = t.seq + 1
  t.published = true
  local message = { root = root, job = id, state = state, prev = prev or cjson.null,
    node = node, at = tonumber(now), seq = t.seq }
  if extra then for k, v in pairs(extra) do message[k] = v end end
  redis.call('PUBLISH', P .. ':status', cjson.encode(message))
end

-- Count a job's state change on its tree, take the next seq and publish the
-- §4.8 message. prev is false for a new job. The caller wrote the state.
-- `extra` adds fields to the message (a retry's attempt, error and runAt).
local function announce(root, id, prev, state, node, now, extra)
  local t = tally(root)
  if prev then
    t.n[prev] = t.n[prev] - 1
    t.moved[prev] = true
  end
  t.n[state] = t.n[state] + 1
  t.moved[state] = true
  publish(root, id, prev, state, node, now, extra)
end

-- Write a job's new state (with any further field/value pairs in the same
-- HSET) and announce it.
local function transition(root, id, prev, state, node, now, ...)
  redis.call('HSET', jobKey(root, id), 'state', state, ...)
  announce(root, id, prev, state, node, now)
end

-- Runs `command key` with `items` as its arguments, in chunks of 1,000
-- (Lua's unpack takes a few thousand values at most; an even size, so an
-- HSET's field/value pairs are never split).
local function inChunks(command, key, items)
  for i = 1, #items, 1000 do
    redis.call(command, key, unpack(items, i, math.min(i + 999, #items)))
  end
end

-- Wakes are collected and sent once per node at the end of a script:
-- node → the number of entries queued for it.
local wakes = {}
local function addWake(node, n) wakes[node] = (wakes[node] or 0) + n end

-- SPEC §17: nodes with free slots that found nothing to claim, node → free
-- slots (claimJobs and finishJobs keep it), so that work for any node wakes
-- enough of them and not every node of the cluster.
local function idleKey() return P .. ':idle' end

-- Adds `item` to the list groups[key], made on first use.
local function addTo(groups, key, item)
  local g = groups[key]
  if not g then
    g = {}
    groups[key] = g
  end
  g[#g + 1] = item
end

-- Appends `R|J` entries to a node's queue; the node gets a wake.
local function enqueueAll(node, entries)
  inChunks('RPUSH', queueKey(node), entries)
  addWake(node, #entries)
end
local function enqueue(root, id, node) enqueueAll(node, { root .. '|' .. id }) end

-- Wakes idle nodes whose free slots add up to `n` (each is taken off the
-- idle list: it says again if it stays idle); a dead one is dropped. With
-- no idle node, every node is busy and takes any-node work as a slot frees.
local function wakeIdle(n)
  local idle = redis.call('HGETALL', idleKey())
  for i = 1, #idle, 2 do
    if n <= 0 then return end
    redis.call('HDEL', idleKey(), idle[i])
    if redis.call('EXISTS', P .. ':node:' .. idle[i] .. ':alive') == 1 then
      redis.call('PUBLISH', P .. ':wake:' .. idle[i], '1')
      n = n - (tonumber(idle[i + 1]) or 1)
    end
  end
end

local function sendWakes()
  for node, n in pairs(wakes) do
    if node == '*' then
      wakeIdle(n)
    else
      redis.call('PUBLISH', P .. ':wake:' .. node, '1')
    end
  end
end

-- SPEC §12: a pool's freed slots go to the jobs that a claim found waiting
-- for them, oldest first: each that fits goes back to the head of its
-- node's queue (with a wake), as many as the free slots cover. Entries of
-- jobs no longer QUEUED (aborted while they waited) are dropped, at most
-- SKIP_POOL a call so that one script stays short.
local SKIP_POOL = 1000
local function offerPoolSlots(pool)
  local f = redis.call('HMGET', poolKey(pool), 'slots', 'used')
  local free = (tonumber(f[1]) or 0) - (tonumber(f[2]) or 0)
  local skipped = 0
  while free > 0 and skipped < SKIP_POOL do
    local item = redis.call('LPOP', poolWaitKey(pool))
    if not item then return end
    local root, id = entryOf(item)
    local state, node, k
    if root then state, node, k = unpack(redis.call('HMGET', jobKey(root, id), 'state', 'node', 'poolSlots')) end
    if state == 'QUEUED' then
      redis.call('LPUSH', queueKey(node), root .. '|' .. id)
      addWake(node, 1)
      free = free - (tonumber(k) or 1)
    else
      skipped = skipped + 1
    end
  end
end

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

-- SPEC §14: a failed try with tries left goes back to QUEUED (published with
-- the next try's number, the failed try's error and runAt), claimable from
-- runAt: on its node's queue at once, or on P:delayed until promoteDue
-- queues it. Its slot and pool slots are given back; it stays active, so
-- the tree neither aborts nor settles. Answers {attempt, tries, runAt}, or
-- nil when the job is not tried again (no tries left, a code not in `on`).
local function scheduleRetry(root, id, jk, node, pool, k, errJson, now)
  local r = redis.call('HMGET', jk, 'attempt', 'tries', 'retry', 'startedAt', 'attempts', 'anyNode')
  local attempt, tries = tonumber(r[1]) or 1, tonumber(r[2]) or 1
  if attempt >= tries then return nil end
  local e = { code = 'FAILED', message = '' }
  if errJson ~= '' then e = cjson.decode(errJson) end
  if string.sub(tostring(e.code), 1, 11) == 'ABORTED_BY_' then return nil end
  local policy = cjson.decode(r[3])
  if type(policy.on) == 'table' then
    local listed = false
    for _, c in ipairs(policy.on) do if c == e.code then listed = true end end
    if not listed then return nil end
  end
  local delay = 0
  local backoff = policy.backoff
  if type(backoff) == 'table' then
    delay = tonumber(backoff.delayMs) or 0
    if backoff.type == 'exponential' then delay = delay * 2 ^ (attempt - 1) end
    local cap = tonumber(backoff.maxDelayMs)
    if cap and delay > cap then delay = cap end
  end
  delay = math.floor(delay)
  local runAt = tonumber(now) + delay
  local attempts = {}
  if r[5] then attempts = cjson.decode(r[5]) end
  attempts[#attempts + 1] = { startedAt = tonumber(r[4]), finishedAt = tonumber(now), error = e, node = node }
  local nextNode = node
  if r[6] then nextNode = '*' end
  redis.call('HSET', jk, 'state', 'QUEUED', 'node', nextNode, 'attempt', attempt + 1,
    'attempts', cjson.encode(attempts), 'runAt', runAt, 'queuedAt', runAt)
  redis.call('HDEL', jk, 'token')
  announce(root, id, 'RUNNING', 'QUEUED', nextNode, now,
    { attempt = attempt + 1, error = e, runAt = runAt })
  redis.call('SREM', runningKey(node), root .. '|' .. id)
  if pool then
    redis.call('HINCRBY', poolKey(pool), 'used', -(tonumber(k) or 1))
    offerPoolSlots(pool)
  end
  if delay > 0 then
    redis.call('ZADD', delayedKey(), runAt, root .. '|' .. id)
  else
    enqueue(root, id, nextNode)
  end
  return { attempt = attempt + 1, tries = tries, runAt = runAt }
end

-- The first pool that `jobs` name and that does not exist, or nil.
local function missingPool(jobs)
  local seen = {}
  for _, j in ipairs(jobs) do
    if j.pool and not seen[j.pool] then
      if redis.call('EXISTS', poolKey(j.pool)) == 0 then return j.pool end
      seen[j.pool] = true
    end
  end
  return nil
end

-- The fields of a planned job's hash (writeJobs, stageJobs).
local function jobFields(root, j, now)
  local fields = { 'id', j.id, 'root', root, 'title', j.title, 'type', j.type,
    'node', j.node, 'params', j.params, 'children', j.children,
    'pending', j.pending, 'createdAt', now, 'state', j.state }
  if j.parent then fields[#fields + 1] = 'parent'; fields[#fields + 1] = j.parent end
  if j.key then fields[#fields + 1] = 'key'; fields[#fields + 1] = j.key end
  if j.timeoutMs then fields[#fields + 1] = 'timeoutMs'; fields[#fields + 1] = j.timeoutMs end
  if j.pool then
    fields[#fields + 1] = 'pool'; fields[#fields + 1] = j.pool
    fields[#fields + 1] = 'poolSlots'; fields[#fields + 1] = j.poolSlots
  end
  if j.state == 'QUEUED' then fields[#fields + 1] = 'queuedAt'; fields[#fields + 1] = now end
  if j.retry then
    fields[#fields + 1] = 'retry'; fields[#fields + 1] = j.retry
    fields[#fields + 1] = 'tries'; fields[#fields + 1] = j.tries
    -- a * job may retry on another node: claimOne names the claimer in `node`
    if j.node == '*' then fields[#fields + 1] = 'anyNode'; fields[#fields + 1] = '1' end
  end
  if j.compensate then fields[#fields + 1] = 'compensate'; fields[#fields + 1] = j.compensate end
  -- SPEC §15: in a handler tree, the job that runs when this one has ended
  if j.next then fields[#fields + 1] = 'next'; fields[#fields + 1] = j.next end
  return fields
end

-- Writes planned jobs (submitTree, addChildren); leaves are queued. The
-- active set, the id index and the queues get one call per 1,000 jobs,
-- not one per job. A pool counts the jobs that name it (`refs`), so that
-- it cannot be deleted under them.
local function writeJobs(root, jobs, now)
  local ids, roots, queued, refs = {}, {}, {}, {}
  for _, j in ipairs(jobs) do
    local fields = jobFields(root, j, now)
    if j.pool then refs[j.pool] = (refs[j.pool] or 0) + 1 end
    redis.call('HSET', jobKey(root, j.id), unpack(fields))
    ids[#ids + 1] = j.id
    roots[#roots + 1] = j.id
    roots[#roots + 1] = root
    announce(root, j.id, false, j.state, j.node, now)
    if j.state == 'QUEUED' then addTo(queued, j.node, root .. '|' .. j.id) end
  end
  inChunks('SADD', activeKey(root), ids)
  inChunks('HSET', P .. ':jobroot', roots)
  for node, entries in pairs(queued) do enqueueAll(node, entries) end
  for pool, n in pairs(refs) do redis.call('HINCRBY', poolKey(pool), 'refs', n) end
  redis.call('HINCRBY', treeKey(root), 'total', #jobs)
end

-- A new tree is listed: among all trees, the running ones and under each of its tags.
local function indexTree(root, tagsJson, now)
  redis.call('ZADD', P .. ':trees', now, root)
  redis.call('ZADD', P .. ':state:RUNNING', now, root)
  for k, v in pairs(cjson.decode(tagsJson)) do
    redis.call('ZADD', P .. ':tag:' .. k .. '=' .. v, now, root)
  end
end

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
  redis.call('ZREM', P .. ':state:RUNNING', root)
  if tally(root).aborting then
    redis.call('ZREM', P .. ':aborting', root)
    abortsLeft[root] = nil
  end
  redis.call('ZADD', P .. ':state:' .. state, f[2], root)
  -- a handler tree is deleted with the tree it handles, never on its own
  if not tally(root).handlerOf then redis.call('ZADD', P .. ':finished', now, root) end
  if state ~= 'SUCCESS' then startHandlers(root, state, now) end
  -- a definition's run frees its place among the definition's running runs,
  -- however it ended, and the next message may start (SPEC §13)
  if f[3] then
    redis.call('SREM', P .. ':def:' .. f[3] .. ':running', root)
    redis.call('PUBLISH', P .. ':defs:wake', f[3])
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

-- The job fields a payload needs, in the order payloadOf reads them.
local PAYLOAD_FIELDS = { 'type', 'title', 'params', 'timeoutMs', 'children', 'parent', 'queuedAt',
  'attempt', 'tries', 'grafts' }

-- What the runner needs of a job as one JSON string, from the job's
-- PAYLOAD_FIELDS values starting at f[i]. User JSON (params, results,
-- context values) travels as strings so Lua never re-encodes it.
-- A job of more than ~1,000 children gets their ids only (SPEC §17: a claim
-- stays short), and the store reads their results outside the script.
local PAYLOAD_CHILDREN_BYTES = 40000
-- The ids of a job's `grafts` field (`,"id",...`: addChildren writes there
-- once `children` is long), as a list; none for false.
local function graftedIds(grafts)
  if not grafts then return {} end
  return cjson.decode('[' .. string.sub(grafts, 2) .. ']')
end
local function payloadOf(root, id, startedAt, f, i)
  local children, childIds, graftIds = {}, cjson.null, cjson.null
  local grafts = f[i + 9] -- ids grafted once the list was long (addChildren): `,"id",...`
  if #f[i + 4] + (grafts and #grafts or 0) > PAYLOAD_CHILDREN_BYTES then
    childIds, graftIds = f[i + 4], grafts or cjson.null
  else
    local ids = cjson.decode(f[i + 4])
    for _, cid in ipairs(graftedIds(grafts)) do ids[#ids + 1] = cid end
    for _, cid in ipairs(ids) do
      local c = redis.call('HMGET', jobKey(root, cid), 'key', 'result', 'summary')
      children[#children + 1] = { id = cid, key = c[1] or cjson.null,
        result = c[2] or cjson.null, summary = c[3] or cjson.null }
    end
  end
  return cjson.encode({ id = id, root = root, type = f[i], title = f[i + 1], childIds = childIds,
    graftIds = graftIds,
    params = f[i + 2], timeoutMs = f[i + 3] or cjson.null, parent = f[i + 5] or cjson.null,
    queuedAt = f[i + 6], startedAt = startedAt, children = children, tags = tally(root).tags,
    attempt = f[i + 7] or cjson.null, tries = f[i + 8] or cjson.null,
    outcome = tally(root).outcome or cjson.null,
    context = redis.call('HGETALL', ctxKey(root)) })
end

local function jobPayload(root, id, startedAt)
  return payloadOf(root, id, startedAt, redis.call('HMGET', jobKey(root, id), unpack(PAYLOAD_FIELDS)), 1)
end

-- Takes k slots of a pool for a claim, or answers false when it lacks them
-- (SPEC §12: counted in the same script as the claim, so atomic across nodes).
local function takePoolSlots(pool, k)
  local f = redis.call('HMGET', poolKey(pool), 'slots', 'used')
  if (tonumber(f[2]) or 0) + k > (tonumber(f[1]) or 0) then return false end
  redis.call('HINCRBY', poolKey(pool), 'used', k)
  return true
end

-- QUEUED → RUNNING for `node` with fencing `token`; returns the payload.
-- A job never starts before it was queued: a claim whose `now` went stale
-- in a client's retry queue (an outage) starts at queuedAt instead.
-- A job of a paused tree is not started: it is parked on P:{R}:parked,
-- and resumeTree puts it back on its node's queue. A job whose pool lacks
-- the slots it needs waits on P:pool:<name>:waiting until a job of the
-- pool ends (offerPoolSlots) or the pool grows.
local function claimOne(root, id, node, token, now)
  -- a job key of another type (SPEC §18) is no job: its entry is dropped
  local f = redis.pcall('HMGET', jobKey(root, id), 'state', 'pool', 'poolSlots', unpack(PAYLOAD_FIELDS))
  if f.err or f[1] ~= 'QUEUED' then return nil end
  local t = tally(root)
  if t.aborting then -- its chunk of the abort has not come yet: it ends here instead
    abortJobs(root, { id }, now, t.aborting)
    return nil
  end
  if t.paused then
    redis.call('RPUSH', parkedKey(root), id)
    return nil
  end
  if f[2] and not takePoolSlots(f[2], tonumber(f[3]) or 1) then
    redis.call('RPUSH', poolWaitKey(f[2]), root .. '|' .. id)
    return nil
  end
  local queuedAt = f[10]
  local startedAt = now
  if queuedAt and tonumber(queuedAt) > tonumber(now) then startedAt = queuedAt end
  transition(root, id, 'QUEUED', 'RUNNING', node, startedAt,
    'node', node, 'token', token, 'startedAt', startedAt)
  redis.call('SADD', runningKey(node), root .. '|' .. id)
  return payloadOf(root, id, startedAt, f, 4)
end

-- SPEC §14: retries whose time has come go to their node's queue (with a
-- wake); called by every claim and by the housekeeper's tick, so no
-- node's timer is needed and none is lost with a node.
local function promoteDue(now)
  local due = redis.call('ZRANGEBYSCORE', delayedKey(), '-inf', now, 'LIMIT', 0, 1000)
  if #due == 0 then return 0 end
  inChunks('ZREM', delayedKey(), due)
  for _, item in ipairs(due) do
    local root, id = entryOf(item)
    if root then
      local f = redis.call('HMGET', jobKey(root, id), 'state', 'node')
      if f[1] == 'QUEUED' then enqueue(root, id, f[2]) end
    end
  end
  return #due
end

-- Pops queue entries for `node` (its own queue, then the any-node queue)
-- and claims up to `max` of them; entries of jobs no longer QUEUED are
-- dropped (aborted or re-waited since they were queued), those of a paused
-- tree parked. At most SKIP_BOUND entries are passed over per call, so one
-- call stays short; a call stopped by that bound wakes `node`, which comes
-- back at once for what lies behind them instead of at its next poll.
local SKIP_BOUND = 1000
local function claimFromQueues(queues, node, max, token, now)
  local out = {}
  local skipped = 0
  for _, q in ipairs(queues) do
    while #out < max and skipped < SKIP_BOUND do
      local item = redis.call('LPOP', q)
      if not item then break end
      local root, id = entryOf(item)
      local payload = root and claimOne(root, id, node, token, now)
      if payload then out[#out + 1] = payload else skipped = skipped + 1 end
    end
  end
  if skipped >= SKIP_BOUND and #out < max then addWake(node, 1) end
  return out
end
