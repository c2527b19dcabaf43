--[[
  The short step that makes a staged big tree (stageJobs) visible, with
  every check of submitTree (SPEC §17; §7, §12, §13 as in submitTree): the
  tree hash with its counters for all its jobs, its context, handlers,
  pool references, indexes and run record. Its jobs are then announced and
  its leaves queued in chunks by storeMore; until every job is announced
  the tree is `storing` (an abort is refused for that short while: 503
  TREE_STORING) and no job of it can start.
  KEYS[1] P:{R}:tree
  ARGV[1] prefix  ARGV[2] root  ARGV[3] now  ARGV[4] tree JSON (as submitTree)
  ARGV[5] stats JSON {total, waiting, queued, leaves, pools, leafPools}
  (see includes/submit.lua)  ARGV[6] maxQueued  ARGV[7] admission  ARGV[8] run JSON or ''
  Returns 1, or submitTree's refusals (nothing written); -9 when the staged
  jobs are gone (expired).
]]
--@include submit
local root, now = ARGV[2], ARGV[3]
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local stats = cjson.decode(ARGV[5])
if redis.call('LLEN', stageKey(root)) ~= stats.total then return -9 end
local refusal, run = submitRefusal(stats, tonumber(ARGV[6]), ARGV[7], ARGV[8])
if refusal then return refusal end
local tree = cjson.decode(ARGV[4])
writeTreeHash(root, tree, now)
redis.call('HSET', KEYS[1], 'total', stats.total, 'n:WAITING', stats.waiting,
  'n:QUEUED', stats.queued, 'storing', '1', 'announced', 0)
redis.call('PERSIST', activeKey(root))
redis.call('PERSIST', stageKey(root))
for pool, n in pairs(stats.pools) do redis.call('HINCRBY', poolKey(pool), 'refs', n) end
-- the root resolves from now on: an abort of it is answered (503 until announced)
redis.call('HSET', jobRootKey(), root, root)
if run then recordRun(run, root) end
indexTree(root, tree.tags, now)
redis.call('ZADD', storingKey(), now, root)
return 1
