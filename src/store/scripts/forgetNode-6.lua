--[[
  Forgets a node that has been gone longer than the retention age (SPEC §9:
  nothing in Redis grows without bound), so P:nodes does not keep every
  name ever used. A node is kept while anything may still need it: a live
  heartbeat key, a heartbeat newer than the cutoff, QUEUED jobs waiting on
  its queue (they wait for it, and GET /nodes shows them), or RUNNING jobs
  not yet ended by the reaper.
  KEYS[1] P:nodes  KEYS[2] P:node:<n>  KEYS[3] P:node:<n>:alive
  KEYS[4] P:queue:<n>  KEYS[5] P:running:<n>  KEYS[6] P:signals:<n>
  ARGV[1] node name  ARGV[2] cutoff: the last heartbeat must be older (ms)
  Returns 1 when the node was forgotten, else 0 and nothing is written.
]]
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local last = tonumber(redis.call('HGET', KEYS[2], 'lastHeartbeat'))
if last and last >= tonumber(ARGV[2]) then return 0 end
if redis.call('LLEN', KEYS[4]) > 0 or redis.call('SCARD', KEYS[5]) > 0 then return 0 end
-- Signals name running jobs of this node; with none running they are stale.
redis.call('DEL', KEYS[2], KEYS[6])
redis.call('SREM', KEYS[1], ARGV[1])
return 1
