--[[
  What a submission must pass before anything is written, shared by
  submitTree (a tree in one script) and commitTree (a big tree's last,
  short step, SPEC §17): the node backlogs (SPEC §7), the pools (§12), the
  "reject" admission (§12), a definition's run (§13). `stats` is the
  submission's counts as submissionStats (staged-submit.ts) computes them:
  {leaves = {node = n}, pools = {pool = jobs naming it}, leafPools = {pool =
  slots the leaves need}, ...}.
]]
--@include keys
--@include util
--@include write
--@include admission
--@include runs

-- A refusal {code, subject} (see submitTree's header), or nil and the run
-- decoded from runJson (nil without one).
local function submitRefusal(stats, maxQueued, admission, runJson)
  if maxQueued > 0 then
    for node, n in pairs(stats.leaves) do
      if redis.call('LLEN', queueKey(node)) + n > maxQueued then return { -2, node } end
    end
  end
  for pool in pairs(stats.pools) do
    if redis.call('EXISTS', poolKey(pool)) == 0 then return { -3, pool } end
  end
  if admission == 'reject' then
    local why = leavesCannotStart(stats.leaves, stats.leafPools)
    if why then return { -4, why } end
  end
  if runJson == '' then return nil, nil end
  local run = cjson.decode(runJson)
  return runRefusal(run), run
end

-- The tree's hash, context and failure handlers (SPEC §15) as a submission
-- writes them, counters at zero.
local function writeTreeHash(root, tree, now)
  redis.call('HSET', treeKey(root), 'root', root, 'title', tree.title, 'node', tree.node,
    'state', 'RUNNING', 'seq', 0, 'tags', tree.tags, 'createdAt', now, 'total', 0)
  if tree.handlers then redis.call('HSET', treeKey(root), 'handlers', tree.handlers) end
  if tree.onFailure then redis.call('HSET', treeKey(root), 'onFailure', tree.onFailure) end
  local ctx = tree.context
  for i = 1, #ctx, 2 do redis.call('HSET', ctxKey(root), ctx[i], ctx[i + 1]) end
end
