--[[
  One chunk of a big tree stored in steps (SPEC §17: no script holds Redis
  long): writes up to ~1,000 planned jobs' hashes, adds them to the active
  set and their ids, in plan order, to P:{R}:stage. Nothing is visible yet:
  no index, queue, id lookup or event names the tree until commitTree, and
  every key written here expires after ARGV[5] ms unless committed (an
  abandoned submission cleans itself up).
  KEYS[1] P:{R}:tree
  ARGV[1] prefix  ARGV[2] root  ARGV[3] now  ARGV[4] jobs JSON (as submitTree)
  ARGV[5] ttl ms  ARGV[6] '1' for the first chunk
  ARGV[7..] pairs (index in ARGV[4], children JSON) of jobs whose list of
  children is long: it comes apart so that the script stores it unparsed
  Returns 1; -1 when the first chunk finds the root stored or staged already.
]]
--@include write
local root, now, ttl = ARGV[2], ARGV[3], tonumber(ARGV[5])
if ARGV[6] == '1' and (redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', stageKey(root)) == 1) then
  return -1
end
local jobs = cjson.decode(ARGV[4])
for i = 7, #ARGV, 2 do jobs[tonumber(ARGV[i])].children = ARGV[i + 1] end
local ids = {}
for _, j in ipairs(jobs) do
  local jk = jobKey(root, j.id)
  redis.call('HSET', jk, unpack(jobFields(root, j, now)))
  redis.call('PEXPIRE', jk, ttl)
  ids[#ids + 1] = j.id
end
inChunks('SADD', activeKey(root), ids)
inChunks('RPUSH', stageKey(root), ids)
redis.call('PEXPIRE', activeKey(root), ttl)
redis.call('PEXPIRE', stageKey(root), ttl)
return 1
