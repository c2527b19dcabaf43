--[[
  Stores a whole planned tree and queues its leaves, or writes nothing
  (SPEC §3 atomic submission, §4 rule 1).
  KEYS[1] P:{R}:tree
  ARGV[1] prefix  ARGV[2] root id  ARGV[3] now (ms)
  ARGV[4] tree JSON {title, node, tags (JSON string), context: [k, vJSON, ...],
  handlers?, onFailure?} (SPEC §15: the handler tree's root id and the
  planned onFailure jobs as a JSON string, kept until the tree ends)
  ARGV[5] jobs JSON [{id,parent,key,title,type,node,params,children,pending,state,timeoutMs}]
  ARGV[6] the most entries a node queue may hold after this tree (0: no limit)
  ARGV[7] 'reject' to refuse the tree unless each leaf can start at once
  (SPEC §12): its node has a free slot, its pool free slots; else ''
  ARGV[8] a definition's run JSON {def, message, idem, idemTtlMs} (SPEC §13,
  see includes/runs.lua), or ''
  ARGV[9] the jobs' counts JSON (submissionStats in staged-submit.ts: the
  same as commitTree's, so the checks count one way)
  Also writes P:{R}:ctx, P:{R}:active, P:{R}:job:<id>, P:queue:<node>,
  P:trees, P:state:RUNNING, P:tag:<k>=<v>.
  Returns 1; -1 when the root id exists already; {-2, node} when that node's
  queue would pass ARGV[6] (SPEC §7 backlog full); {-3, pool} when a job
  names a pool that does not exist; {-4, why} when ARGV[7] is 'reject' and
  a leaf could not start at once (503 NO_SLOTS); for a run, {-5, why}
  busy, {-6, root} the idempotency key's earlier run, {-7, id} the message
  was started already, {-8, name} no such definition. Nothing is written then.
  Publishes one P:status message per job (prev null), P:wake:<node> per node.
]]
--@include submit
local root, now = ARGV[2], ARGV[3]
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local tree = cjson.decode(ARGV[4])
local jobs = cjson.decode(ARGV[5])
local refusal, run = submitRefusal(cjson.decode(ARGV[9]), tonumber(ARGV[6]), ARGV[7], ARGV[8])
if refusal then return refusal end
writeTreeHash(root, tree, now)
writeJobs(root, jobs, now)
if run then recordRun(run, root) end
indexTree(root, tree.tags, now)
sendWakes()
return 1
