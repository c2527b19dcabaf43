--[[
  Claims up to N queued jobs for one node: its own queue first, then the
  any-node queue (SPEC §4 rule 3: atomic, a job is started at most once).
  Entries whose job is no longer QUEUED (aborted, re-waited) are dropped;
  jobs of a paused tree are parked (see pauseTree). Retries whose time has
  come are queued first, whichever node they are for (SPEC §14).
  KEYS[1] P:queue:<node>  KEYS[2] P:queue:*
  ARGV[1] prefix  ARGV[2] node  ARGV[3] max jobs  ARGV[4] now  ARGV[5] token
  Returns an array of job payload JSON strings (see claimOne).
  Publishes QUEUED→RUNNING on P:status for each claim, and a wake to the
  node when it stopped at the bound on entries passed over. A node that
  gets fewer jobs than it asked for is put on P:idle with its free slots
  (taken off when it gets them all): work for any node wakes idle nodes
  only (SPEC §17).
]]
--@include claim
local node, max, now, token = ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local out = claimNext(node, max, token, now, true)
-- SPEC §17: a node left with free slots is idle; work for any node wakes it
if #out < max then redis.call('HSET', idleKey(), node, max - #out) else redis.call('HDEL', idleKey(), node) end
sendWakes()
return out
