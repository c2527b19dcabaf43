--[[
  tally: a tree's counters kept in Lua for the whole script, and the one
  way a state change is told (SPEC §4 rule 8). Every state change goes
  through transition() (or announce() after a write that set the state):
  count, seq, publish, so each is published exactly once and only from
  inside the script that wrote it.
  Reads/writes P:{R}:tree (seq, n:<state>); publishes on P:status.
]]
--@include keys

local STATES = { 'WAITING', 'QUEUED', 'RUNNING', 'SUCCESS', 'FAILED', 'ABORTED' }

-- A tree's counters (seq, n:<state>), tags, pause, the error of an abort
-- still under way (SPEC §17, `aborting`) and (in a handler tree, SPEC §15)
-- the tree it handles and that tree's outcome as this script sees them:
-- read from P:{R}:tree at its first use, written back once when the script
-- ends. A job's end plus the claim of the next job moved the counters six
-- times, one HINCRBY each; now it is one HMGET and one HSET per tree.
local tallies = {}
local function tally(root)
  local t = tallies[root]
  if t then return t end
  local f = redis.call('HMGET', treeKey(root), 'seq', 'tags', 'n:WAITING', 'n:QUEUED',
    'n:RUNNING', 'n:SUCCESS', 'n:FAILED', 'n:ABORTED', 'paused', 'handlerOf', 'outcome', 'aborting')
  t = { seq = tonumber(f[1]) or 0, tags = f[2], paused = f[9], handlerOf = f[10], outcome = f[11],
    aborting = f[12], n = {}, moved = {} }
  for i, s in ipairs(STATES) do t.n[s] = tonumber(f[i + 2]) or 0 end
  tallies[root] = t
  return t
end
local function saveTallies()
  for root, t in pairs(tallies) do
    local args = {}
    for s in pairs(t.moved) do
      args[#args + 1] = 'n:' .. s
      args[#args + 1] = t.n[s]
    end
    if t.published then redis.call('HSET', treeKey(root), 'seq', t.seq, unpack(args)) end
  end
end
-- afterBody is declared by the wrapper load-scripts.ts puts around every
-- script: its hooks run when the body has returned, whichever return it took.
afterBody[#afterBody + 1] = saveTallies

-- Takes the tree's next seq and publishes the §4.8 message of a state the
-- tree's counters have already (announce counts it first; a staged tree's
-- counts are written whole by commitTree).
local function publish(root, id, prev, state, node, now, extra)
  local t = tally(root)
  t.seq = t.seq + 1
  t.published = true
  local message = { root = root, job = id, state = state, prev = prev or cjson.null,
    node = node, at = tonumber(now), seq = t.seq }
  if extra then for k, v in pairs(extra) do message[k] = v end end
  redis.call('PUBLISH', statusChannel(), cjson.encode(message))
end

-- Count a job's state change on its tree, take the next seq and publish the
-- §4.8 message. prev is false for a new job. The caller wrote the state.
-- `extra` adds fields to the message (a retry's attempt, error and runAt).
local function announce(root, id, prev, state, node, now, extra)
  local t = tally(root)
  if prev then
    t.n[prev] = t.n[prev] - 1
    t.moved[prev] = true
  end
  t.n[state] = t.n[state] + 1
  t.moved[state] = true
  publish(root, id, prev, state, node, now, extra)
end

-- Write a job's new state (with any further field/value pairs in the same
-- HSET) and announce it.
local function transition(root, id, prev, state, node, now, ...)
  redis.call('HSET', jobKey(root, id), 'state', state, ...)
  announce(root, id, prev, state, node, now)
end
