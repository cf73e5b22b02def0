-- Argo CD health check of a PodEniIP (k8s.ksyun.com): one fixed IP of a pod in shared ENI mode.
-- Uses only what Argo CD gives a health script (Lua 5.1 base and table libraries: no string library).
local hs = {status = "Progressing", message = ""}
local spec = obj.spec or {}
local status = obj.status or {}
local meta = obj.metadata or {}
local phase = status.phase
local ip = spec.ip or ""
local pod = (spec.podNamespace or meta.namespace or "?") .. "/" .. (spec.podName or "?")
local node = status.nodeName or ""

local function note(text)
  if status.message ~= nil and status.message ~= "" then
    return text .. " (" .. status.message .. ")"
  end
  return text
end

if meta.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Deleting: the record stays until the IP " .. ip .. " is freed (finalizer k8s.ksyun.com/release-ip)"
elseif ip == "" then
  hs.status = "Degraded"
  hs.message = "spec.ip is empty: a PodEniIP is named after the IP it keeps"
elseif meta.name ~= nil and meta.name ~= ip then
  hs.status = "Degraded"
  hs.message = "The record is named " .. meta.name .. " but keeps the IP " .. ip .. ": a PodEniIP is named after its IP"
elseif phase == nil or phase == "" then
  hs.status = "Progressing"
  hs.message = "No phase yet: no flow or module has written the status of the IP " .. ip .. " of pod " .. pod
elseif phase == "Bound" then
  if node == "" then
    hs.status = "Degraded"
    hs.message = note("Bound without a node: status.nodeName is empty for the IP " .. ip .. " of pod " .. pod)
  else
    hs.status = "Healthy"
    hs.message = note(ip .. " is bound to pod " .. pod .. " on node " .. node)
  end
elseif phase == "Reserved" then
  hs.status = "Healthy"
  local kept
  if spec.retention == "never" then
    kept = "kept until reclaimed by hand (retention never)"
  elseif status.reclaimAt ~= nil and status.reclaimAt ~= "" then
    kept = "kept until " .. status.reclaimAt
  else
    kept = "kept for " .. (spec.retention or "?") .. " after its pod is deleted"
  end
  if spec.podUID == nil or spec.podUID == "" then
    hs.message = note(ip .. " is reserved for pod " .. pod .. " (pre-provisioned: no pod has held it yet), " .. kept)
  else
    hs.message = note(ip .. " is reserved for pod " .. pod .. " while the pod is away, " .. kept)
  end
elseif phase == "Binding" then
  hs.status = "Progressing"
  hs.message = note("Binding " .. ip .. " to pod " .. pod .. (node ~= "" and (" on node " .. node) or ""))
elseif phase == "Releasing" then
  hs.status = "Progressing"
  hs.message = note("Releasing " .. ip .. " of pod " .. pod .. (node ~= "" and (" from node " .. node) or ""))
elseif phase == "Reclaiming" then
  hs.status = "Progressing"
  hs.message = note("Reclaiming " .. ip .. " of pod " .. pod .. ": its retention ended")
else
  hs.status = "Degraded"
  hs.message = note("Unknown phase " .. tostring(phase) .. " of the IP " .. ip .. " of pod " .. pod)
end
return hs
