--[[
  One more chunk of a big tree's abort (SPEC §17: no script holds Redis
  long): the next ABORT_CHUNK of its active jobs end ABORTED or are
  flagged, as abortRest does for a small tree, and the tree settles once
  none is active.
  KEYS[1] P:{R}:tree
  ARGV[1] prefix  ARGV[2] root  ARGV[3] now
  Returns 1 when the abort is done (or was not under way), 0 when more is left.
]]
--@include settle
local root, now = ARGV[2], ARGV[3]
if redis.call('EXISTS', KEYS[1]) == 0 then return 1 end
local done = abortMore(root, now)
settleTree(root, now)
sendWakes()
if done then return 1 end
return 0
