--[[
  A running job ends (SPEC §4 rules 2, 4, 6; §5 context merge).
  KEYS[1] P:{R}:job:<id>
  ARGV[1] prefix  ARGV[2] root  ARGV[3] id  ARGV[4] fencing token
  ARGV[5] outcome SUCCESS|FAILED|ABORTED  ARGV[6] now
  ARGV[7] result JSON or ''  ARGV[8] summary or ''  ARGV[9] error JSON or ''
  ARGV[10] context as JSON [k, vJSON, ...] or ''
  ARGV[11] node whose freed slot takes the next job at once ('' for none)
  Returns {code, final state, payload or false, error JSON or ""}: code 1
  done; -1 job not RUNNING;
  -2 fenced (token is not the claim's). Preconditions write nothing.
  A job flagged by an abort ends ABORTED whatever it reports. A success may
  queue its parent. With ARGV[11] the freed slot is filled in this same
  call: by that parent when it runs there, else by the head of the node's
  queues (one round trip per job instead of two). Any other end aborts
  the rest of the tree, naming this job.
]]
--@include common
local root, id, token, outcome, now = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local f = redis.call('HMGET', KEYS[1], 'state', 'token', 'abort', 'node', 'parent')
if f[1] ~= 'RUNNING' then return { -1, f[1] or '' } end
if f[2] ~= token then return { -2, f[1] } end
local node, parent = f[4], f[5]
local final, err = outcome, ARGV[9]
if f[3] then final, err = 'ABORTED', f[3] end
redis.call('HSET', KEYS[1], 'finishedAt', now)
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'result', ARGV[7]) end
if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'summary', ARGV[8]) end
if err ~= '' then redis.call('HSET', KEYS[1], 'error', err) end
if ARGV[10] ~= '' then
  local pairsList = cjson.decode(ARGV[10])
  for i = 1, #pairsList, 2 do redis.call('HSET', ctxKey(root), pairsList[i], pairsList[i + 1]) end
end
transition(root, id, 'RUNNING', final, node, now)
retire(root, id, node)
local payload = nil
if final == 'SUCCESS' then
  if parent then
    local pk = jobKey(root, parent)
    if redis.call('HINCRBY', pk, 'pending', -1) <= 0 then
      local p = redis.call('HMGET', pk, 'state', 'node')
      if p[1] == 'WAITING' then
        redis.call('HSET', pk, 'queuedAt', now)
        transition(root, parent, 'WAITING', 'QUEUED', p[2], now)
        if ARGV[11] ~= '' and (p[2] == ARGV[11] or p[2] == '*') then
          payload = claimOne(root, parent, ARGV[11], token, now)
        else
          enqueue(root, parent, p[2])
        end
      end
    end
  elseif ARGV[8] ~= '' then
    redis.call('HSET', treeKey(root), 'summary', ARGV[8])
  end
elseif not f[3] then
  abortRest(root, now, cjson.encode({ code = 'ABORTED_BY_FAILURE', job = id,
    message = 'tree aborted: job ' .. id .. ' ended ' .. final }))
end
settleTree(root, now)
if payload == nil and ARGV[11] ~= '' then
  payload = claimFromQueues({ queueKey(ARGV[11]), queueKey('*') }, ARGV[11], 1, token, now)[1]
end
sendWakes()
return { 1, final, payload or false, err }
