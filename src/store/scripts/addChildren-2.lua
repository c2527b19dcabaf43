--[[
  Grafts planned jobs under a job that has not started (SPEC §3, growing a
  tree): the target gains its new children atomically, so it cannot start
  before they succeed; a QUEUED target goes back to WAITING.
  KEYS[1] P:{R}:job:<target>  KEYS[2] P:{R}:tree
  ARGV[1] prefix  ARGV[2] root  ARGV[3] target id  ARGV[4] now
  ARGV[5] jobs JSON (as submitTree)  ARGV[6] direct child ids JSON  ARGV[7] max jobs per tree
  ARGV[8] a handler tree root id for the tree, kept unless it has one
  already (SPEC §15: the new jobs carry compensations), or ''
  Returns 1 done; -1 no such job; -2 target started or finished (409);
  -5 the tree is a handler tree, whose steps are fixed when it starts;
  -3 the tree would exceed its job limit; {-4, pool} a job names a pool that
  does not exist. Preconditions write nothing.
]]
--@include write
--@include pools
local root, target, now = ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local f = redis.call('HMGET', KEYS[1], 'state', 'node')
if f[1] ~= 'WAITING' and f[1] ~= 'QUEUED' then return -2 end
if redis.call('HEXISTS', KEYS[2], 'handlerOf') == 1 then return -5 end
if redis.call('HEXISTS', KEYS[2], 'aborting') == 1 then return -2 end -- its abort is under way
local jobs = cjson.decode(ARGV[5])
local total = tonumber(redis.call('HGET', KEYS[2], 'total') or '0')
if total + #jobs > tonumber(ARGV[7]) then return -3 end
local pool = missingPool(jobs)
if pool then return { -4, pool } end
writeJobs(root, jobs, now)
if ARGV[8] ~= '' then redis.call('HSETNX', KEYS[2], 'handlers', ARGV[8]) end
local direct = cjson.decode(ARGV[6])
-- SPEC §17: the ids are appended to the stored JSON text, never parsed. A
-- long list (~40 bytes a child) is not even read or rewritten: the ids go
-- to `grafts` (`,"id"` after `,"id"`), which every reader puts after
-- `children` (codec.childIdsOf, payloadOf, deleteTree), so a graft under a
-- job of 100,000 children costs what it costs under one.
if #direct > 0 then
  if redis.call('HSTRLEN', KEYS[1], 'children') > PAYLOAD_CHILDREN_BYTES then
    local grafts = redis.call('HGET', KEYS[1], 'grafts') or ''
    redis.call('HSET', KEYS[1], 'grafts', grafts .. ',' .. string.sub(ARGV[6], 2, -2))
  else
    local children = redis.call('HGET', KEYS[1], 'children')
    if children == '[]' or children == '{}' then children = ARGV[6]
    else children = string.sub(children, 1, -2) .. ',' .. string.sub(ARGV[6], 2) end
    redis.call('HSET', KEYS[1], 'children', children)
  end
end
redis.call('HINCRBY', KEYS[1], 'pending', #direct)
if f[1] == 'QUEUED' then transition(root, target, 'QUEUED', 'WAITING', f[2], now) end
sendWakes()
return 1
