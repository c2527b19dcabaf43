--[[
  Queues the retries whose time has come (SPEC §14), at most 1,000 a call:
  the housekeeper's tick, so that a retry starts on time even while every
  node is too busy to claim. Claims do the same (claimJobs).
  KEYS[1] P:delayed  ARGV[1] prefix  ARGV[2] now
  Returns how many were due. Publishes a wake per node that got work.
]]
--@include retry
local n = promoteDue(ARGV[2])
sendWakes()
return n
