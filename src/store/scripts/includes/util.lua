--[[
  util: small helpers with no key of their own.
]]

-- Runs `command key` with `items` as its arguments, in chunks of 1,000
-- (Lua's unpack takes a few thousand values at most; an even size, so an
-- HSET's field/value pairs are never split).
local function inChunks(command, key, items)
  for i = 1, #items, 1000 do
    redis.call(command, key, unpack(items, i, math.min(i + 999, #items)))
  end
end

-- Adds `item` to the list groups[key], made on first use.
local function addTo(groups, key, item)
  local g = groups[key]
  if not g then
    g = {}
    groups[key] = g
  end
  g[#g + 1] = item
end

-- The ids of a job's `grafts` field (`,"id",...`: addChildren writes there
-- once `children` is long), as a list; none for false.
local function graftedIds(grafts)
  if not grafts then return {} end
  return cjson.decode('[' .. string.sub(grafts, 2) .. ']')
end

-- A job's `children` text (with its `grafts`) longer than this is a long
-- list: the claim hands out ids only (payload.lua), addChildren appends to
-- `grafts` instead of rewriting it, deleteTree walks it in pieces.
local PAYLOAD_CHILDREN_BYTES = 40000
