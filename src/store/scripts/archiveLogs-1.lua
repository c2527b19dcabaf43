--[[
  The logs of ended jobs, kept with their trees (SPEC §19): an agent sends
  together the logs of the jobs that ended in the same moment, each already
  compressed (src/logstream/archive.ts).
  KEYS[1] P:trees: names the slot of every key of this prefix (Cluster).
  ARGV[1] prefix, then per log four fields: root, job id, node, gzip bytes.
  A log is kept only while its tree exists and is not being deleted: an
  archive that came after its tree's deletion would never be deleted.
  Writes P:{R}:logs (job → bytes) and P:{R}:lognodes (job → node).
  Returns how many logs were kept.
]]
--@include keys
local kept = 0
for i = 2, #ARGV, 4 do
  local root, id = ARGV[i], ARGV[i + 1]
  local t = redis.call('HMGET', treeKey(root), 'state', 'deleting')
  if t[1] and not t[2] then
    redis.call('HSET', logsKey(root), id, ARGV[i + 3])
    redis.call('HSET', logNodesKey(root), id, ARGV[i + 2])
    kept = kept + 1
  end
end
return kept
