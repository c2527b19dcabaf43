--[[
  Stores a new immutable version of a definition (SPEC §13), or answers the
  latest when its content is the same.
  KEYS[1] P:defs (set of names)  KEYS[2] P:def:<name> (hash)
  KEYS[3] P:defs:meta (hash: `next:<name>`, the last version number given,
  kept after a deletion so that a number never names two contents)
  ARGV[1] name  ARGV[2] sha256 of the content's canonical JSON
  ARGV[3] the version's JSON {description, params, tags, maxConcurrentRuns,
  tree, createdAt, sha256}, stored as it is (never decoded here: Lua's cjson
  would turn an empty list into an object and reorder keys)
  ARGV[4] its maxConcurrentRuns (0 for none)  ARGV[5] versions kept
  P:def:<name> holds `name`, `latest`, `max` (the latest's maxConcurrentRuns:
  the run scripts read it), `v:<n>` (version n's JSON) and `sha:<n>`.
  Returns {1, version} for a new version, {0, version} when the latest has
  this sha256 (nothing written).
]]
local latest = redis.call('HGET', KEYS[2], 'latest')
if latest and redis.call('HGET', KEYS[2], 'sha:' .. latest) == ARGV[2] then
  return { 0, tonumber(latest) }
end
local n = redis.call('HINCRBY', KEYS[3], 'next:' .. ARGV[1], 1)
redis.call('HSET', KEYS[2], 'name', ARGV[1], 'latest', n, 'max', ARGV[4],
  'v:' .. n, ARGV[3], 'sha:' .. n, ARGV[2])
local old = n - tonumber(ARGV[5])
if old >= 1 then redis.call('HDEL', KEYS[2], 'v:' .. old, 'sha:' .. old) end
redis.call('SADD', KEYS[1], ARGV[1])
return { 1, n }
