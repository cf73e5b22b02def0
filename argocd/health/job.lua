-- Argo CD health check of a Job (batch): Argo CD's own (gitops-engine pkg/health/health_job.go, which this replaces)
-- plus the playbook's message. A hook Job of this collection that fails writes the failed task's message on itself
-- (annotation kce.ksyun.com/failure, callback plugin ksyun.kce.job_failure); a failed Job with it shows that message
-- instead of the Job's condition ("Job has reached the specified backoff limit"), so the sync's result names it.
-- Uses only what Argo CD gives a health script (Lua 5.1 base and table libraries: no string library).
local hs = {status = "Progressing", message = ""}
local status = obj.status or {}
local annotations = (obj.metadata or {}).annotations or {}
local failed, complete, suspended = false, false, false
local failMsg, message = "", ""

-- As health_job.go: the last condition of each type wins, and a Failed or Complete condition counts whatever its status.
for _, condition in ipairs(status.conditions or {}) do
  if condition.type == "Failed" then
    failed, complete = true, true
    failMsg = condition.message or ""
  elseif condition.type == "Complete" then
    complete = true
    message = condition.message or ""
  elseif condition.type == "Suspended" then
    complete = true
    message = condition.message or ""
    if condition.status == "True" then
      suspended = true
    end
  end
end

if not complete then
  hs.status = "Progressing"
  hs.message = message
elseif failed then
  hs.status = "Degraded"
  local playbook = annotations["kce.ksyun.com/failure"]
  if playbook ~= nil and playbook ~= "" then
    hs.message = playbook
  else
    hs.message = failMsg
  end
elseif suspended then
  hs.status = "Suspended"
  hs.message = failMsg
else
  hs.status = "Healthy"
  hs.message = message
end
return hs
