--[[
  keys: every key and channel name a script builds, in one place (the
  TypeScript side's is src/store/keys.ts, and test/store/lua-keys.test.ts
  holds the two to the same names; docs/design.md says what each holds).
  P is the store's prefix: ARGV[1] of every script that includes this.
    one tree, one slot:  P:{R}:tree  :ctx  :active  :parked  :job:<id>
                         :compensable (§15)  :stage  :leaves (§17)
                         :doomed  :doomtext:<id> (deleteTree)
                         :logs  :lognodes (§19, archiveLogs)
    the cluster's:       P:queue:<node>  P:running:<node>  P:signals:<node>
                         P:delayed  P:idle  P:trees  P:state:<S>  P:tag:<k>=<v>
                         P:finished  P:aborting  P:storing  P:jobroot
                         P:nodes  P:node:<n>  P:node:<n>:alive
                         P:pools  P:pool:<name>  P:pool:<name>:waiting (§12)
                         P:def:<name>  P:def:<name>:running|inbox|messages (§13)
    channels:            P:status  P:paused  P:wake:<node>  P:signal:<node>
                         P:defs:wake
]]
local P = ARGV[1]

local function treeKey(root) return P .. ':{' .. root .. '}:tree' end
local function ctxKey(root) return P .. ':{' .. root .. '}:ctx' end
local function activeKey(root) return P .. ':{' .. root .. '}:active' end
local function parkedKey(root) return P .. ':{' .. root .. '}:parked' end
-- SPEC §19: each ended job's log (gzip) and the node that wrote it (archiveLogs)
local function logsKey(root) return P .. ':{' .. root .. '}:logs' end
local function logNodesKey(root) return P .. ':{' .. root .. '}:lognodes' end
local function jobKey(root, id) return P .. ':{' .. root .. '}:job:' .. id end
-- SPEC §15: the jobs of a tree with a compensation that succeeded, by when
local function compensableKey(root) return P .. ':{' .. root .. '}:compensable' end
-- SPEC §17, a big tree stored in steps: its job ids in plan order, then its
-- leaves (`node|J`) waiting to be queued once every job is announced.
local function stageKey(root) return P .. ':{' .. root .. '}:stage' end
local function leavesKey(root) return P .. ':{' .. root .. '}:leaves' end
-- deleteTree's work list, and the long children texts it walks in pieces
local function doomedKey(root) return P .. ':{' .. root .. '}:doomed' end
local function doomTextKey(root, id) return P .. ':{' .. root .. '}:doomtext:' .. id end

local function queueKey(node) return P .. ':queue:' .. node end
local function runningKey(node) return P .. ':running:' .. node end
local function signalsKey(node) return P .. ':signals:' .. node end
-- SPEC §14: `R|J` of retries waiting for their time, scored by runAt.
local function delayedKey() return P .. ':delayed' end
-- SPEC §17: nodes with free slots that found nothing to claim, node → free
-- slots (claimJobs and finishJobs keep it), so that work for any node wakes
-- enough of them and not every node of the cluster.
local function idleKey() return P .. ':idle' end
local function treesKey() return P .. ':trees' end
local function stateKey(state) return P .. ':state:' .. state end
local function tagKey(k, v) return P .. ':tag:' .. k .. '=' .. v end
local function finishedKey() return P .. ':finished' end
local function abortingKey() return P .. ':aborting' end
local function storingKey() return P .. ':storing' end
local function jobRootKey() return P .. ':jobroot' end
local function nodesKey() return P .. ':nodes' end
local function nodeKey(node) return P .. ':node:' .. node end
local function aliveKey(node) return P .. ':node:' .. node .. ':alive' end
local function poolsKey() return P .. ':pools' end
local function poolKey(name) return P .. ':pool:' .. name end
local function poolWaitKey(name) return P .. ':pool:' .. name .. ':waiting' end
local function defKey(name) return P .. ':def:' .. name end
local function defRunningKey(name) return P .. ':def:' .. name .. ':running' end

local function statusChannel() return P .. ':status' end
local function pausedChannel() return P .. ':paused' end
local function wakeChannel(node) return P .. ':wake:' .. node end
local function signalChannel(node) return P .. ':signal:' .. node end
local function defsWakeChannel() return P .. ':defs:wake' end

-- A queue, retry or running-set entry `R|J`; nil for anything else (SPEC
-- §18: an entry written by hand, an old version or a bug is dropped, never
-- an error that stops the claim, or a key built outside the tree's slot).
local function entryOf(item)
  local root, id = string.match(item, '^([%x%-]+)|([%x%-]+)$')
  if root and #root == 36 and #id == 36 then return root, id end
  return nil
end
