--[[
  Creates or resizes a pool (SPEC §12). Growing it offers the new slots to
  the jobs waiting for them at once; shrinking it lets running jobs finish
  (used may stay above slots until they end).
  KEYS[1] P:pool:<name>
  ARGV[1] prefix  ARGV[2] name  ARGV[3] slots  ARGV[4] description ('' for none)
  ARGV[5] now
  Also writes P:pools (the set of pool names).
  Returns 1 when the pool was created, 0 when it existed.
  Publishes P:wake:<node> for each node that got a waiting job back.
]]
--@include pools
local name = ARGV[2]
local created = redis.call('EXISTS', KEYS[1]) == 0 and 1 or 0
redis.call('HSET', KEYS[1], 'name', name, 'slots', ARGV[3], 'updatedAt', ARGV[5])
if created == 1 then redis.call('HSET', KEYS[1], 'used', 0, 'refs', 0, 'createdAt', ARGV[5]) end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'description', ARGV[4])
else
  redis.call('HDEL', KEYS[1], 'description')
end
redis.call('SADD', poolsKey(), name)
offerPoolSlots(name)
sendWakes()
return created
