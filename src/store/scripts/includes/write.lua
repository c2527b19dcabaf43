--[[
  write: planned jobs become hashes, queue entries and index entries
  (submitTree, stageJobs, addChildren, a handler tree).
  Writes P:{R}:job:<id>, P:{R}:active, P:jobroot, the queues, P:pool:<name>
  refs, P:{R}:tree total; a new tree's P:trees, P:state:RUNNING, P:tag:*.
]]
--@include keys
--@include util
--@include tally
--@include wake

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
  inChunks('HSET', jobRootKey(), roots)
  for node, entries in pairs(queued) do enqueueAll(node, entries) end
  for pool, n in pairs(refs) do redis.call('HINCRBY', poolKey(pool), 'refs', n) end
  redis.call('HINCRBY', treeKey(root), 'total', #jobs)
end

-- A new tree is listed: among all trees, the running ones and under each of its tags.
local function indexTree(root, tagsJson, now)
  redis.call('ZADD', treesKey(), now, root)
  redis.call('ZADD', stateKey('RUNNING'), now, root)
  for k, v in pairs(cjson.decode(tagsJson)) do
    redis.call('ZADD', tagKey(k, v), now, root)
  end
end
