--[[
  Ends the RUNNING jobs of a node whose runner is gone (SPEC §9): after
  an agent restart (AGENT_RESTARTED, keeping claims of the live token) or a
  lost node (NODE_LOST, all of them). Each ends FAILED and its tree aborts,
  unless it has tries left (SPEC §14): then it is queued again, a `*` job
  for any node.
  KEYS[1] P:running:<node>  KEYS[2] P:node:<node>:alive
  ARGV[1] prefix  ARGV[2] node  ARGV[3] token to keep ('' for none)
  ARGV[4] now  ARGV[5] error code  ARGV[6] message
  ARGV[7] '1' to act only if the node is dead (no live heartbeat key), so a
  node that beat again since the reaper looked is left alone.
  Returns the number of jobs failed, or -1 when the node is alive and
  ARGV[7] asked for a dead one. Stale entries are removed. A big tree's
  abort it starts goes on in chunks from the housekeeper (P:aborting).
]]
--@include retry
--@include settle
if ARGV[7] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local keep, now = ARGV[3], ARGV[4]
local n = 0
for _, item in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local root, id = entryOf(item)
  local jk = root and jobKey(root, id)
  local f = root and redis.pcall('HMGET', jk, 'state', 'token', 'abort', 'pool', 'poolSlots') or {}
  if f.err or f[1] ~= 'RUNNING' then -- a stale or corrupt entry (SPEC §18) is removed
    redis.call('SREM', KEYS[1], item)
  elseif f[2] ~= keep then
    local final, err = 'FAILED', cjson.encode({ code = ARGV[5], message = ARGV[6] })
    if f[3] then
      final, err = 'ABORTED', f[3]
    elseif tally(root).aborting then
      final, err = 'ABORTED', tally(root).aborting
    end
    -- SPEC §14: a try lost with its node is a failed try like any other
    local retried = final == 'FAILED' and scheduleRetry(root, id, jk, ARGV[2], f[4], f[5], err, now)
    if not retried then
      transition(root, id, 'RUNNING', final, ARGV[2], now, 'finishedAt', now, 'error', err)
      retire(root, id, ARGV[2], f[4], f[5], true)
      if tally(root).handlerOf then
        stepEnded(root, id, now) -- SPEC §15: a handler's end never stops the next
      else
        if final == 'FAILED' then
          abortRest(root, now, cjson.encode({ code = 'ABORTED_BY_FAILURE', job = id,
            message = 'tree aborted: job ' .. id .. ' failed (' .. ARGV[5] .. ')' }), id)
        end
        settleTree(root, now)
      end
    end
    n = n + 1
  end
end
sendWakes()
return n
