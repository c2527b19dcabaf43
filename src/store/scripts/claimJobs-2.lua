--[[
  Claims up to N queued jobs for one node: its own queue first, then the
  any-node queue (SPEC §4 rule 3: atomic, a job is started at most once).
  Entries whose job is no longer QUEUED (aborted, re-waited) are dropped.
  KEYS[1] P:queue:<node>  KEYS[2] P:queue:*
  ARGV[1] prefix  ARGV[2] node  ARGV[3] max jobs  ARGV[4] now  ARGV[5] token
  Returns an array of job payload JSON strings (see claimOne).
  Publishes QUEUED→RUNNING on P:status for each claim.
]]
--@include common
local node, max, now, token = ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local out = {}
local skipped = 0
for _, q in ipairs(KEYS) do
  while #out < max and skipped < 1000 do
    local item = redis.call('LPOP', q)
    if not item then break end
    local sep = string.find(item, '|', 1, true)
    local payload = claimOne(string.sub(item, 1, sep - 1), string.sub(item, sep + 1), node, token, now)
    if payload then out[#out + 1] = payload else skipped = skipped + 1 end
  end
end
return out
