--[[
  Running jobs end, one or many in one call (SPEC §4 rules 2, 4, 6; §5
  context merge; §9 fencing). An agent sends together the ends that occur
  in the same event-loop turn, so a busy node makes one call per batch.
  KEYS[1] P:trees: names the slot of every key this prefix's scripts touch
  (Redis Cluster routes the call by it; settleTree writes it).
  ARGV[1] prefix, then per job eleven fields (see includes/finish.lua):
  root, id, fencing token, outcome SUCCESS|FAILED|ABORTED, now,
  result JSON|'', summary|'', error JSON|'', context JSON|'', claimFor|'',
  typeVersion|''.
  A job that held pool slots gives them back, and the pool's waiting jobs
  that now fit are queued again (SPEC §12).
  Returns, per job, four entries: code (1 done; 2 retried, SPEC §14: back
  to QUEUED; -1 not RUNNING; -2 fenced, the token is not the claim's:
  nothing written for that job), final state, the payload claimed for the
  freed slot or nil, the kept error JSON or '' (for code 2 the retry as
  JSON {attempt, tries, runAt}).
  A job flagged by an abort ends ABORTED whatever it reports. A success may
  queue its parent. With claimFor the freed slot is filled in this same
  call: by that parent when it runs there, else by the head of the node's
  queues (one round trip per job instead of two). Any other end aborts the
  rest of the tree, naming this job. Publishes each transition on P:status
  and a wake per node that got work. After the four entries per job come
  the roots of trees left aborting in chunks (the caller continues them
  with abortMore).
]]
--@include finish
local out = {}
for b = 2, #ARGV, 11 do
  local code, state, payload, err = finishOne(b)
  out[#out + 1] = code
  out[#out + 1] = state
  out[#out + 1] = payload
  out[#out + 1] = err
end
-- SPEC §17: then the roots of trees whose abort goes on in chunks (abortMore)
for _, root in ipairs(leftAborts()) do out[#out + 1] = root end
sendWakes()
return out
