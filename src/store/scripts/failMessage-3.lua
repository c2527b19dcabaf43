--[[
  Moves a waiting message whose run cannot start out of a definition's
  inbox into its record of failed messages, with the reason (SPEC §18): it
  must neither block the messages behind it nor be tried again for ever.
  KEYS[1] P:def:<name>:inbox  KEYS[2] P:def:<name>:messages
  KEYS[3] P:def:<name>:failed (list of JSON {failedAt, error, message}, newest first)
  ARGV[1] message id  ARGV[2] failedAt (ms)  ARGV[3] error JSON {code, message}
  ARGV[4] how many failed messages are kept
  Returns 1 moved; 0 when it is not waiting (started, withdrawn, moved by another agent).
  The message's JSON is copied as it is stored, never decoded: a corrupt one moves too.
]]
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
local message = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
local entry = '{"failedAt":' .. tonumber(ARGV[2]) .. ',"error":' .. ARGV[3]
  .. ',"id":' .. cjson.encode(ARGV[1]) .. ',"message":' .. cjson.encode(message or '') .. '}'
redis.call('LPUSH', KEYS[3], entry)
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[4]) - 1)
return 1
