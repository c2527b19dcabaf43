--[[
  One page of trees carrying every given tag (and state), newest first
  (SPEC §7 GET /trees). Walks the smallest index backwards from the cursor
  and checks membership in the others: no intersection is materialised.
  KEYS[1] P:trees (names the slot; the index keys share it)
  ARGV[1] prefix  ARGV[2] limit  ARGV[3] cursor score ('' = newest)
  ARGV[4] cursor root  ARGV[5..] index keys (sorted sets scored by createdAt)
  Returns {roots..., next} where next is 'score:root' or '' at the end.
  Scans at most 20,000 entries per call; a page cut short by that still
  returns a cursor, so a caller always makes progress. Each batch of 200
  starts at the last score seen (skipping only the ties already seen), so
  the scan costs its length, not its length squared.
]]
--@readonly
local limit = tonumber(ARGV[2])
local idx = {}
for i = 5, #ARGV do idx[#idx + 1] = ARGV[i] end
local best, bestN = 1, redis.call('ZCARD', idx[1])
for i = 2, #idx do
  local n = redis.call('ZCARD', idx[i])
  if n < bestN then best, bestN = i, n end
end
local src = idx[best]
local max, cs, cr = '+inf', nil, ARGV[4]
if ARGV[3] ~= '' then max, cs = ARGV[3], ARGV[3] end
local out, offset, scanned = {}, 0, 0
local lastScore, lastRoot = nil, nil
while #out < limit and scanned < 20000 do
  -- each batch starts at the last score seen, skipping only the entries of that
  -- same score already seen: no batch walks past the ones before it (SPEC §17)
  local batch = redis.call('ZREVRANGEBYSCORE', src, max, '-inf', 'WITHSCORES', 'LIMIT', offset, 200)
  if #batch == 0 then lastScore = nil break end
  local batchEnd = batch[#batch]
  if batchEnd == max then
    offset = offset + #batch / 2
  else
    offset = 0
    for i = #batch, 1, -2 do
      if batch[i] == batchEnd then offset = offset + 1 else break end
    end
    max = batchEnd
  end
  for i = 1, #batch, 2 do
    local root, score = batch[i], batch[i + 1]
    if not (cs and score == cs and root >= cr) then
      scanned = scanned + 1
      lastScore, lastRoot = score, root
      local ok = true
      for j = 1, #idx do
        if j ~= best and not redis.call('ZSCORE', idx[j], root) then ok = false break end
      end
      if ok then out[#out + 1] = root end
      if #out >= limit then break end
    end
  end
end
if lastScore and (#out >= limit or scanned >= 20000) then
  out[#out + 1] = lastScore .. ':' .. lastRoot
else
  out[#out + 1] = ''
end
return out
