--[[
  Deletes the staged jobs of a big tree that commitTree refused (SPEC
  §17), ~1,000 a call, so a refused submission leaves nothing behind. A
  committed tree is never touched.
  KEYS[1] P:{R}:tree
  ARGV[1] prefix  ARGV[2] root
  Returns 1 when nothing staged is left, 0 when more is.
]]
--@include keys
local root = ARGV[2]
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
local ids = redis.call('LPOP', stageKey(root), 1000)
if ids then
  for _, id in ipairs(ids) do redis.call('DEL', jobKey(root, id)) end
  redis.call('SREM', activeKey(root), unpack(ids))
end
if redis.call('EXISTS', stageKey(root)) == 1 then return 0 end
redis.call('DEL', activeKey(root))
return 1
