-- Tasks, with Shoelace: the same kind of app as demo/tasks, shown with the Shoelace web
-- components that html/index.html loads. The Lua knows nothing of them: the viewdefs bind
-- <sl-input> and <sl-select> as fields (their `value`), <sl-checkbox> as a checkbox (a
-- boolean), and <sl-button> clicks run methods, as they would bind native elements.

local Task = session:prototype("Task", {
  title = "",
  done = false,
})

local TaskList = session:prototype("TaskList", {
  newTitle = "",
  search = "",  -- sent on every keystroke: the list follows as the user types
  show = "all", -- the chosen option of the select: all, active or done
  notes = "",
})

local function trim(text)
  return (text or ""):match("^%s*(.-)%s*$")
end

function Task:delete()
  self.list:remove(self)
end

-- Tables a list owns are made per instance: a table among the prototype's defaults would be
-- shared by every list.
function TaskList:new()
  local list = session:create(self, { tasks = {} })
  for _, title in ipairs({ "Water the plants", "Write the report", "Call the plumber" }) do
    list:insert(title)
  end
  list.tasks[1].done = true
  return list
end

function TaskList:insert(title)
  table.insert(self.tasks, Task:new({ list = self, title = title }))
end

function TaskList:add()
  local title = trim(self.newTitle)
  if title == "" then return end
  self:insert(title)
  self.newTitle = ""
  -- A new task is not done: show it.
  if self.show == "done" then self.show = "all" end
end

function TaskList:remove(task)
  for i, other in ipairs(self.tasks) do
    if other == task then
      table.remove(self.tasks, i)
      return
    end
  end
end

function TaskList:clearCompleted()
  local kept = {}
  for _, task in ipairs(self.tasks) do
    if not task.done then kept[#kept + 1] = task end
  end
  self.tasks = kept
end

-- The tasks the select and the search let through.
function TaskList:visible()
  local search = trim(self.search):lower()
  local shown = {}
  for _, task in ipairs(self.tasks) do
    local wanted = self.show == "all" or task.done == (self.show == "done")
    if wanted and task.title:lower():find(search, 1, true) then
      shown[#shown + 1] = task
    end
  end
  return shown
end

function TaskList:emptyText()
  if #self:visible() == 0 then return "No task to show." end
end

function TaskList:left()
  local left = 0
  for _, task in ipairs(self.tasks) do
    if not task.done then left = left + 1 end
  end
  return left
end

function TaskList:leftLabel()
  return self:left() == 1 and "task left" or "tasks left"
end

function TaskList:nothingDone()
  return self:left() == #self.tasks
end

-- main.lua runs again on every hot reload: only the first run creates the app.
if not session.reloading then
  session:createAppVariable(TaskList:new())
end
