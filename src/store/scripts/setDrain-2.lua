--[[
  An operator asks a node to drain (SPEC §16: it stops claiming, its
  running jobs finish) or to take work again: the flag on the node's hash,
  which outlives a restart of its agent, and a word to the agent on its
  control channel. A script, so that behind Sentinels and on a Cluster the
  flag counts once the replicas have it, like every other write of a
  user's (confirm-writes.ts).
  KEYS[1] P:nodes  KEYS[2] P:node:<name>
  ARGV[1] name  ARGV[2] '1' to drain, '0' to take work again  ARGV[3] P:control:<name>
  Returns 1 done; 0 no such node (nothing written).
]]
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[2], 'drain', '1')
  redis.call('PUBLISH', ARGV[3], 'drain')
else
  redis.call('HDEL', KEYS[2], 'drain')
  redis.call('PUBLISH', ARGV[3], 'undrain')
end
return 1
