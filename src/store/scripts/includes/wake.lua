--[[
  wake: the wakes a script owes, sent once per node when it ends (SPEC §4:
  Pub/Sub is the fast path; a poll finds the work anyway), and the queues
  entries go on.
  Writes P:queue:<node>, P:idle; publishes on P:wake:<node>.
]]
--@include keys
--@include util

-- Wakes are collected and sent once per node at the end of a script:
-- node → the number of entries queued for it.
local wakes = {}
local function addWake(node, n) wakes[node] = (wakes[node] or 0) + n end

-- Appends `R|J` entries to a node's queue; the node gets a wake.
local function enqueueAll(node, entries)
  inChunks('RPUSH', queueKey(node), entries)
  addWake(node, #entries)
end
local function enqueue(root, id, node) enqueueAll(node, { root .. '|' .. id }) end

-- Wakes idle nodes whose free slots add up to `n` (each is taken off the
-- idle list: it says again if it stays idle); a dead one is dropped. With
-- no idle node, every node is busy and takes any-node work as a slot frees.
local function wakeIdle(n)
  local idle = redis.call('HGETALL', idleKey())
  for i = 1, #idle, 2 do
    if n <= 0 then return end
    redis.call('HDEL', idleKey(), idle[i])
    if redis.call('EXISTS', aliveKey(idle[i])) == 1 then
      redis.call('PUBLISH', wakeChannel(idle[i]), '1')
      n = n - (tonumber(idle[i + 1]) or 1)
    end
  end
end

local function sendWakes()
  for node, n in pairs(wakes) do
    if node == '*' then
      wakeIdle(n)
    else
      redis.call('PUBLISH', wakeChannel(node), '1')
    end
  end
end
