--[[
  Deletes a pool that no job names any more (SPEC §12).
  KEYS[1] P:pool:<name>  KEYS[2] P:pool:<name>:waiting
  ARGV[1] prefix  ARGV[2] name
  Also writes P:pools.
  Returns 1 deleted; -1 no such pool; {-2, n} when n jobs that have not
  ended name it (409; nothing deleted).
]]
--@include keys
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local refs = tonumber(redis.call('HGET', KEYS[1], 'refs')) or 0
if refs > 0 then return { -2, refs } end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', poolsKey(), ARGV[2])
return 1
