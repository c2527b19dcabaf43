--[[
  Stores a new immutable version of a registered module job type (SPEC §11),
  or answers the current one when its source is the same.
  KEYS[1] P:types (set of registered names)  KEYS[2] P:type:<name> (hash)
  KEYS[3] P:types:meta (hash: `rev`, bumped on every change, and
  `next:<name>`, the last version number given, kept after a removal so
  that a number never names two sources)  KEYS[4] P:type:<name>:source
  (string: the latest version's source; nodes load only the latest, and
  listings never read it)
  ARGV[1] name  ARGV[2] sha256 of the source  ARGV[3] version metadata JSON
  {sha256, at, paramsSchema}, stored as it is (never decoded here: Lua's
  cjson would turn an empty list into an object and reorder keys); readers
  take the version number from the field's name
  ARGV[4] the module source  ARGV[5] versions kept
  P:type:<name> holds `name`, `latest`, `v:<n>` (metadata JSON of version n,
  the last ARGV[5] of them) and `sha:<n>`.
  Returns {1, version} for a new version, {0, version} when the latest
  version has this sha256 already (nothing written).
]]
local latest = redis.call('HGET', KEYS[2], 'latest')
if latest and redis.call('HGET', KEYS[2], 'sha:' .. latest) == ARGV[2] then
  return { 0, tonumber(latest) }
end
local n = redis.call('HINCRBY', KEYS[3], 'next:' .. ARGV[1], 1)
redis.call('HSET', KEYS[2], 'name', ARGV[1], 'latest', n, 'v:' .. n, ARGV[3], 'sha:' .. n, ARGV[2])
redis.call('SET', KEYS[4], ARGV[4])
local old = n - tonumber(ARGV[5])
if old >= 1 then redis.call('HDEL', KEYS[2], 'v:' .. old, 'sha:' .. old) end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'rev', 1)
return { 1, n }
