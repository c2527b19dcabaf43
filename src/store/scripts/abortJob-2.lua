--[[
  A user aborts one job, and with it its whole tree (SPEC §4 rule 5).
  KEYS[1] P:{R}:job:<id>  KEYS[2] P:{R}:tree
  ARGV[1] prefix  ARGV[2] root  ARGV[3] id  ARGV[4] now  ARGV[5] who
  ARGV[6] '1' to skip the tree's failure handlers (SPEC §15 --no-handlers), else ''
  Returns 1 done; 2 done in part: a big tree's abort goes on in chunks
  (abortMore, SPEC §17); -1 no such job; -2 the tree is finished (a 409);
  -3 the tree is still being stored (commitTree), a 503 to try again.
  The job itself ends ABORTED with ABORTED_BY_USER (at once, or when it
  stops if running); every other active job as in abortRest, naming it.
]]
--@include settle
local root, id, now = ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local t = redis.call('HMGET', KEYS[2], 'state', 'storing', 'announced', 'total')
if t[1] ~= 'RUNNING' then return -2 end
-- a big tree whose jobs are still being announced (SPEC §17): for a moment only
if t[2] and tonumber(t[3]) < tonumber(t[4]) then return -3 end
local f = redis.call('HMGET', KEYS[1], 'state', 'node', 'abort', 'pool')
if ARGV[6] == '1' then redis.call('HSET', KEYS[2], 'noHandlers', '1') end
local own = cjson.encode({ code = 'ABORTED_BY_USER', message = 'aborted by ' .. ARGV[5] })
if f[1] == 'WAITING' or f[1] == 'QUEUED' then
  transition(root, id, f[1], 'ABORTED', f[2], now, 'finishedAt', now, 'error', own)
  retire(root, id, f[2], f[4], nil, false)
  redis.call('ZREM', delayedKey(), root .. '|' .. id) -- a retry waiting for its time
elseif f[1] == 'RUNNING' and not f[3] then
  redis.call('HSET', KEYS[1], 'abort', own)
  redis.call('RPUSH', signalsKey(f[2]), root .. '|' .. id)
  redis.call('PUBLISH', signalChannel(f[2]), root .. '|' .. id)
end
abortRest(root, now, cjson.encode({ code = 'ABORTED_BY_USER', job = id,
  message = 'tree aborted by ' .. ARGV[5] .. ' at job ' .. id }), id)
settleTree(root, now)
if #leftAborts() > 0 then return 2 end
return 1
