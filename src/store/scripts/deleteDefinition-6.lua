--[[
  Deletes a definition with its versions, its waiting messages and the
  record of its failed ones (SPEC §13, §18). Its runs are trees like any
  other: they go on, and retention deletes them in time.
  KEYS[1] P:defs  KEYS[2] P:def:<name>  KEYS[3] P:def:<name>:inbox
  KEYS[4] P:def:<name>:messages  KEYS[5] P:def:<name>:running
  KEYS[6] P:def:<name>:failed
  ARGV[1] name
  Returns 1 deleted; -1 no such definition.
]]
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
redis.call('SREM', KEYS[1], ARGV[1])
return 1
