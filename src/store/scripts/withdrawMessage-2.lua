--[[
  Withdraws a message that still waits in a definition's inbox (SPEC §13).
  KEYS[1] P:def:<name>:inbox  KEYS[2] P:def:<name>:messages
  ARGV[1] message id
  Returns 1 withdrawn; 0 when it is not waiting (started, withdrawn, unknown).
]]
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
