--[[
  Claims of this run that the agent never heard of (SPEC §9: a crash never
  leaves a job RUNNING forever). A claim whose reply was lost on a dropped
  connection left its jobs RUNNING with this run's token; the agent adopts
  and runs them. The agent calls this only while none of its own claims is
  in flight, so every such job is truly orphaned. Writes nothing.
  KEYS[1] P:running:<node>
  ARGV[1] prefix  ARGV[2] this run's token  ARGV[3..] ids the agent runs now
  Returns the payloads (as claimJobs does) of the orphaned jobs.
]]
--@include payload
local token = ARGV[2]
local known = {}
for i = 3, #ARGV do known[ARGV[i]] = true end
local out = {}
for _, item in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local root, id = entryOf(item)
  if root and not known[id] then
    local f = redis.call('HMGET', jobKey(root, id), 'state', 'token', 'startedAt')
    if f[1] == 'RUNNING' and f[2] == token then out[#out + 1] = jobPayload(root, id, f[3]) end
  end
end
return out
