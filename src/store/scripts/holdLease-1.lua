--[[
  Takes or keeps a cluster-wide lease (one housekeeper at a time: the dead
  node reaper and retention). The holder extends it on every tick; when it
  stops, the lease expires and another agent takes it.
  KEYS[1] P:lease:<name>
  ARGV[1] holder (node name and run id)  ARGV[2] lease ms
  Returns 1 when the caller holds the lease now, else 0.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
