--[[
  payload: what the runner gets of a claimed job, as one JSON string.
  Reads the job, its children's key/result/summary, P:{R}:ctx.
]]
--@include keys
--@include util
--@include tally

-- The job fields a payload needs, in the order payloadOf reads them.
local PAYLOAD_FIELDS = { 'type', 'title', 'params', 'timeoutMs', 'children', 'parent', 'queuedAt',
  'attempt', 'tries', 'grafts' }

-- What the runner needs of a job as one JSON string, from the job's
-- PAYLOAD_FIELDS values starting at f[i]. User JSON (params, results,
-- context values) travels as strings so Lua never re-encodes it.
-- A job of more than ~1,000 children gets their ids only (SPEC §17: a claim
-- stays short), and the store reads their results outside the script.
local function payloadOf(root, id, startedAt, f, i)
  local children, childIds, graftIds = {}, cjson.null, cjson.null
  local grafts = f[i + 9] -- ids grafted once the list was long (addChildren): `,"id",...`
  if #f[i + 4] + (grafts and #grafts or 0) > PAYLOAD_CHILDREN_BYTES then
    childIds, graftIds = f[i + 4], grafts or cjson.null
  else
    local ids = cjson.decode(f[i + 4])
    for _, cid in ipairs(graftedIds(grafts)) do ids[#ids + 1] = cid end
    for _, cid in ipairs(ids) do
      local c = redis.call('HMGET', jobKey(root, cid), 'key', 'result', 'summary')
      children[#children + 1] = { id = cid, key = c[1] or cjson.null,
        result = c[2] or cjson.null, summary = c[3] or cjson.null }
    end
  end
  return cjson.encode({ id = id, root = root, type = f[i], title = f[i + 1], childIds = childIds,
    graftIds = graftIds,
    params = f[i + 2], timeoutMs = f[i + 3] or cjson.null, parent = f[i + 5] or cjson.null,
    queuedAt = f[i + 6], startedAt = startedAt, children = children, tags = tally(root).tags,
    attempt = f[i + 7] or cjson.null, tries = f[i + 8] or cjson.null,
    outcome = tally(root).outcome or cjson.null,
    context = redis.call('HGETALL', ctxKey(root)) })
end

local function jobPayload(root, id, startedAt)
  return payloadOf(root, id, startedAt, redis.call('HMGET', jobKey(root, id), unpack(PAYLOAD_FIELDS)), 1)
end
