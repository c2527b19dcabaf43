--[[
  A definition's run, checked and recorded inside submitTree (SPEC §13), so
  that the limit on running runs, the inbox's order and idempotency hold
  atomically across every node. `run` is {def, message, idem, idemTtlMs}:
  the definition's name, the message this run starts ('' for none), the
  idempotency key's full key name ('' for none).
  Includes what it uses (keys).
]]
--@include keys

-- A code and a subject when the run cannot start now, before any write:
-- -6 the idempotency key names a run already (its root); -8 the
-- definition is gone; -7 the message is no longer the inbox's head;
-- -5 the definition is at its maxConcurrentRuns, or messages wait ahead.
local function runRefusal(run)
  if run.idem ~= '' then
    local existing = redis.call('GET', run.idem)
    if existing then return { -6, existing } end
  end
  local base = defKey(run.def)
  local max = redis.call('HGET', base, 'max')
  if not max then return { -8, run.def } end
  max = tonumber(max)
  if run.message ~= '' then
    if redis.call('LINDEX', base .. ':inbox', 0) ~= run.message then return { -7, run.message } end
  elseif max > 0 and redis.call('LLEN', base .. ':inbox') > 0 then
    return { -5, run.def .. ' has messages waiting' }
  end
  if max > 0 and redis.call('SCARD', base .. ':running') >= max then
    return { -5, run.def .. ' runs ' .. max .. ' at once already' }
  end
  return nil
end

-- Counts the tree among the definition's running runs; takes its message
-- off the inbox; remembers its idempotency key.
local function recordRun(run, root)
  local base = defKey(run.def)
  redis.call('SADD', base .. ':running', root)
  redis.call('HSET', treeKey(root), 'def', run.def)
  if run.message ~= '' then
    redis.call('LPOP', base .. ':inbox')
    redis.call('HDEL', base .. ':messages', run.message)
  end
  if run.idem ~= '' then redis.call('SET', run.idem, root, 'PX', run.idemTtlMs) end
end
