--[[
  The logs of ended jobs, kept with their trees (SPEC §19): an agent sends
  together the logs of the jobs that ended in the same moment, each as
  stored (src/logstream/archive.ts: gzip, or a short log as it is).
  KEYS[1] P:trees: names the slot of every key of this prefix (Cluster).
  ARGV[1] prefix, ARGV[2] the node that wrote them, then per tree: its
  root, the number n of its logs, and n pairs job id, log.
  A log is kept only while its tree exists and is not being deleted: an
  archive that came after its tree's deletion would never be deleted.
  Writes P:{R}:logs (job → log) and P:{R}:lognodes (job → node), each in
  one HSET per tree (a flat tree's jobs end side by side).
  Returns how many logs were kept.
]]
--@include keys
--@include util
local node = ARGV[2]
local kept, i = 0, 3
while i <= #ARGV do
  local root, n = ARGV[i], tonumber(ARGV[i + 1])
  local first, last = i + 2, i + 1 + 2 * n
  i = last + 1
  local t = redis.call('HMGET', treeKey(root), 'state', 'deleting')
  if t[1] and not t[2] then
    local logs, nodes = {}, {}
    for j = first, last, 2 do
      logs[#logs + 1] = ARGV[j]
      logs[#logs + 1] = ARGV[j + 1]
      nodes[#nodes + 1] = ARGV[j]
      nodes[#nodes + 1] = node
    end
    inChunks('HSET', logsKey(root), logs)
    inChunks('HSET', logNodesKey(root), nodes)
    kept = kept + n
  end
end
return kept
