--[[
  Queues a message: a run waiting in a definition's inbox (SPEC §13), started
  in order as the definition's runs end.
  KEYS[1] P:def:<name>  KEYS[2] P:def:<name>:inbox (list of ids, oldest
  first)  KEYS[3] P:def:<name>:messages (hash id → JSON {id, params,
  postedAt, version?})
  ARGV[1] prefix  ARGV[2] name  ARGV[3] message id  ARGV[4] message JSON
  Returns its position in the inbox (1 is next); -1 no such definition.
  Publishes P:defs:wake with the name, so that a dispatcher looks at once.
]]
--@include keys
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
local position = redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('PUBLISH', defsWakeChannel(), ARGV[2])
return position
