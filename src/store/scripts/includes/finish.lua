--[[
  finishOne(b): one running job ends, from the ten ARGV fields starting at
  index b: root, id, token, outcome, now, result JSON|'', summary|'',
  error JSON|'', context [k, vJSON, ...] JSON|'', claimFor node|''.
  Returns code, final state, claimed payload or false, kept error or ''.
  Needs the helpers of common.lua.
]]
local function finishOne(b)
  local root, id, token, outcome, now = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4]
  local result, summary, ctx, claimFor = ARGV[b + 5], ARGV[b + 6], ARGV[b + 8], ARGV[b + 9]
  local jk = jobKey(root, id)
  local f = redis.call('HMGET', jk, 'state', 'token', 'abort', 'node', 'parent')
  if f[1] ~= 'RUNNING' then return -1, f[1] or '', false, '' end
  if f[2] ~= token then return -2, f[1], false, '' end
  local node, parent = f[4], f[5]
  local final, err = outcome, ARGV[b + 7]
  if f[3] then final, err = 'ABORTED', f[3] end
  redis.call('HSET', jk, 'finishedAt', now)
  if result ~= '' then redis.call('HSET', jk, 'result', result) end
  if summary ~= '' then redis.call('HSET', jk, 'summary', summary) end
  if err ~= '' then redis.call('HSET', jk, 'error', err) end
  if ctx ~= '' then
    local kv = cjson.decode(ctx)
    for i = 1, #kv, 2 do redis.call('HSET', ctxKey(root), kv[i], kv[i + 1]) end
  end
  transition(root, id, 'RUNNING', final, node, now)
  retire(root, id, node)
  local payload = nil
  if final == 'SUCCESS' then
    if parent then
      local pk = jobKey(root, parent)
      -- Ends can arrive out of order (a delayed or journalled report): the
      -- parent is queued no earlier than the last of its children ended.
      local last = redis.call('HGET', pk, 'childrenDoneAt')
      if not last or tonumber(now) > tonumber(last) then
        redis.call('HSET', pk, 'childrenDoneAt', now)
        last = now
      end
      if redis.call('HINCRBY', pk, 'pending', -1) <= 0 then
        local p = redis.call('HMGET', pk, 'state', 'node')
        if p[1] == 'WAITING' then
          redis.call('HSET', pk, 'queuedAt', last)
          transition(root, parent, 'WAITING', 'QUEUED', p[2], last)
          if claimFor ~= '' and (p[2] == claimFor or p[2] == '*') then
            payload = claimOne(root, parent, claimFor, token, now)
          else
            enqueue(root, parent, p[2])
          end
        end
      end
    elseif summary ~= '' then
      redis.call('HSET', treeKey(root), 'summary', summary)
    end
  elseif not f[3] then
    abortRest(root, now, cjson.encode({ code = 'ABORTED_BY_FAILURE', job = id,
      message = 'tree aborted: job ' .. id .. ' ended ' .. final }))
  end
  settleTree(root, now)
  if payload == nil and claimFor ~= '' then
    payload = claimFromQueues({ queueKey(claimFor), queueKey('*') }, claimFor, 1, token, now)[1]
  end
  return 1, final, payload or false, err
end
