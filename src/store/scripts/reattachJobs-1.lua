--[[
  Hands the jobs a previous run of this node left RUNNING under supervisors
  to the new run (SPEC §16: an agent that starts again within the heartbeat
  TTL re-attaches). A job is taken only if it is still RUNNING on this node
  under the token of the run taken over (which claimed it, or re-attached
  it in turn); any other (NODE_LOST past the TTL, aborted and ended
  meanwhile) is answered '' and the agent fences its supervisor.
  KEYS[1] P:running:<node>
  ARGV[1] prefix  ARGV[2] node  ARGV[3] the new run's token
  ARGV[4..] triples: root, id, the token the job must hold (the run taken over)
  Returns per triple the job's payload (as claimJobs does), or ''.
]]
--@include payload
local node, token = ARGV[2], ARGV[3]
local out = {}
for i = 4, #ARGV, 3 do
  local root, id, old = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local jk = jobKey(root, id)
  local f = redis.call('HMGET', jk, 'state', 'token', 'node', 'startedAt')
  if f[1] == 'RUNNING' and f[2] == old and f[3] == node
      and redis.call('SISMEMBER', KEYS[1], root .. '|' .. id) == 1 then
    redis.call('HSET', jk, 'token', token)
    out[#out + 1] = jobPayload(root, id, f[4])
  else
    out[#out + 1] = ''
  end
end
return out
