--[[
  finishOne(b): one running job ends, from the eleven ARGV fields starting
  at index b: root, id, token, outcome, now, result JSON|'', summary|'',
  error JSON|'', context [k, vJSON, ...] JSON|'', claimFor node|'',
  typeVersion|'' (the version of its type it ran, SPEC §11).
  Returns code, final state, claimed payload or false, kept error or ''.
  Code 2: the failed try goes again (state QUEUED); the fourth entry is
  then the retry as JSON {attempt, tries, runAt}. In a handler tree (SPEC
  §15) any end queues the next step instead (stepEnded).
]]
--@include keys
--@include tally
--@include wake
--@include retire
--@include retry
--@include abort
--@include settle
--@include handlers
--@include claim
local function finishOne(b)
  local root, id, token, outcome, now = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4]
  local result, summary, ctx, claimFor = ARGV[b + 5], ARGV[b + 6], ARGV[b + 8], ARGV[b + 9]
  local typeVersion = ARGV[b + 10]
  local jk = jobKey(root, id)
  local f = redis.call('HMGET', jk, 'state', 'token', 'abort', 'node', 'parent', 'pool', 'poolSlots',
    'tries', 'compensate')
  if f[1] ~= 'RUNNING' then return -1, f[1] or '', false, '' end
  if f[2] ~= token then return -2, f[1], false, '' end
  local node, parent = f[4], f[5]
  local final, err = outcome, ARGV[b + 7]
  if f[3] then
    final, err = 'ABORTED', f[3]
  elseif tally(root).aborting then -- flagged by a chunk of the abort yet to come
    final, err = 'ABORTED', tally(root).aborting
  end
  if final == 'FAILED' and f[8] then
    local retry = scheduleRetry(root, id, jk, node, f[6], f[7], err, now)
    if retry then
      local next = false
      if claimFor ~= '' then
        next = claimNext(claimFor, 1, token, now, false)[1] or false
      end
      return 2, 'QUEUED', next, cjson.encode(retry)
    end
  end
  local fields = { 'finishedAt', now }
  if result ~= '' then fields[#fields + 1] = 'result'; fields[#fields + 1] = result end
  if summary ~= '' then fields[#fields + 1] = 'summary'; fields[#fields + 1] = summary end
  if err ~= '' then fields[#fields + 1] = 'error'; fields[#fields + 1] = err end
  if typeVersion ~= '' then fields[#fields + 1] = 'typeVersion'; fields[#fields + 1] = typeVersion end
  if ctx ~= '' then
    local kv = cjson.decode(ctx)
    for i = 1, #kv, 2 do redis.call('HSET', ctxKey(root), kv[i], kv[i + 1]) end
  end
  transition(root, id, 'RUNNING', final, node, now, unpack(fields))
  retire(root, id, node, f[6], f[7], true)
  local payload = nil
  if tally(root).handlerOf then
    stepEnded(root, id, now)
  elseif final == 'SUCCESS' then
    if f[9] then addCompensable(root, id, now) end -- SPEC §15, by success time
    if parent then
      local pk = jobKey(root, parent)
      local p = redis.call('HMGET', pk, 'pending', 'childrenDoneAt', 'state', 'node')
      -- Ends can arrive out of order (a delayed or journalled report): the
      -- parent is queued no earlier than the last of its children ended.
      local last = p[2]
      if not last or tonumber(now) > tonumber(last) then last = now end
      local pending = (tonumber(p[1]) or 0) - 1
      redis.call('HSET', pk, 'pending', pending, 'childrenDoneAt', last)
      if pending <= 0 and p[3] == 'WAITING' then
        transition(root, parent, 'WAITING', 'QUEUED', p[4], last, 'queuedAt', last)
        if claimFor ~= '' and (p[4] == claimFor or p[4] == '*') then
          payload = claimOne(root, parent, claimFor, token, now)
        else
          enqueue(root, parent, p[4])
        end
      end
      -- The parent is still active (a running child of an aborted tree is
      -- flagged, so it never ends SUCCESS), so the tree cannot settle here.
    else
      if summary ~= '' then redis.call('HSET', treeKey(root), 'summary', summary) end
      settleTree(root, now)
    end
  else
    if not f[3] then
      abortRest(root, now, cjson.encode({ code = 'ABORTED_BY_FAILURE', job = id,
        message = 'tree aborted: job ' .. id .. ' ended ' .. final }), id)
    end
    settleTree(root, now)
  end
  if payload == nil and claimFor ~= '' then
    payload = claimNext(claimFor, 1, token, now, false)[1]
    -- nothing for the freed slot: the node is idle for work for any node (SPEC §17)
    if payload == nil then redis.call('HSETNX', idleKey(), claimFor, 1) end
  end
  return 1, final, payload or false, err
end
