-- Argo CD health check of a PodEni (k8s.ksyun.com): the own ENI (and fixed IP) of a pod in exclusive ENI mode.
-- Uses only what Argo CD gives a health script (Lua 5.1 base and table libraries: no string library).
local hs = {status = "Progressing", message = ""}
local spec = obj.spec or {}
local status = obj.status or {}
local meta = obj.metadata or {}
local phase = status.phase
local eni = spec.eniId or ""
local ip = spec.ip or ""
local pod = (spec.podNamespace or meta.namespace or "?") .. "/" .. (spec.podName or "?")
local node = status.nodeName or ""
local what = "ENI " .. (eni ~= "" and eni or "(none yet)") .. (ip ~= "" and (" (" .. ip .. ")") or "")

local function note(text)
  if status.message ~= nil and status.message ~= "" then
    return text .. " (" .. status.message .. ")"
  end
  return text
end

if meta.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Deleting: the record stays until its " .. what .. " is freed (finalizer k8s.ksyun.com/release-ip)"
elseif spec.podName ~= nil and meta.name ~= nil and meta.name ~= spec.podName then
  hs.status = "Degraded"
  hs.message = "The record is named " .. meta.name .. " but keeps the ENI of pod " .. pod .. ": a PodEni is named after its pod"
elseif phase == nil or phase == "" then
  hs.status = "Progressing"
  hs.message = "No phase yet: no flow or module has written the status of the " .. what .. " of pod " .. pod
elseif phase == "Bound" then
  if node == "" or eni == "" then
    hs.status = "Degraded"
    hs.message = note("Bound without " .. (eni == "" and "an ENI (spec.eniId)" or "a node (status.nodeName)") .. " for pod " .. pod)
  else
    hs.status = "Healthy"
    hs.message = note(what .. " is attached for pod " .. pod .. " on node " .. node)
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
    hs.message = note(what .. " is reserved for pod " .. pod .. " (pre-provisioned: no pod has held it yet), " .. kept)
  else
    hs.message = note(what .. " is kept detached for pod " .. pod .. " while the pod is away, " .. kept)
  end
elseif phase == "Binding" then
  hs.status = "Progressing"
  hs.message = note("Attaching " .. what .. " for pod " .. pod .. (node ~= "" and (" to node " .. node) or ""))
elseif phase == "Releasing" then
  hs.status = "Progressing"
  hs.message = note("Detaching " .. what .. " of pod " .. pod .. (node ~= "" and (" from node " .. node) or ""))
elseif phase == "Reclaiming" then
  hs.status = "Progressing"
  hs.message = note("Reclaiming " .. what .. " of pod " .. pod .. ": its retention ended")
else
  hs.status = "Degraded"
  hs.message = note("Unknown phase " .. tostring(phase) .. " of the " .. what .. " of pod " .. pod)
end
return hs
