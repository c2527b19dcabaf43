--[[
  Deregisters a registered job type (SPEC §11): new submissions naming it
  are refused; nodes unload it once their running jobs of it end.
  KEYS[1] P:types  KEYS[2] P:type:<name>  KEYS[3] P:types:meta
  KEYS[4] P:type:<name>:source
  ARGV[1] name
  Returns 1 removed; -1 no such registered type.
]]
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
redis.call('DEL', KEYS[2], KEYS[4])
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'rev', 1)
return 1
