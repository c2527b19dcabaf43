--[[
  Pauses a running tree (SPEC §2: an operation on the whole tree). Running
  jobs go on to their end; no job of the tree starts until it is resumed:
  claimOne parks each QUEUED job it meets on P:{R}:parked instead of
  starting it. No job changes state, so nothing goes to P:status; P:paused
  gets {root, paused: true, at} for live views.
  KEYS[1] P:{R}:tree
  ARGV[1] prefix  ARGV[2] root id  ARGV[3] now (ms)
  Returns 1 paused; 0 paused already (nothing written); -1 no such tree;
  -2 the tree has finished.
]]
--@include keys
local t = redis.call('HMGET', KEYS[1], 'state', 'paused')
if not t[1] then return -1 end
if t[1] ~= 'RUNNING' then return -2 end
if t[2] then return 0 end
redis.call('HSET', KEYS[1], 'paused', ARGV[3])
redis.call('PUBLISH', pausedChannel(),
  cjson.encode({ root = ARGV[2], paused = true, at = tonumber(ARGV[3]) }))
return 1
