-- Tasks: a to-do list. Every object on the page is a Lua table whose prototype names its type
-- (Task, TaskList, Filter); viewdefs/TYPE.NAMESPACE.html says how each type looks, and its ui-*
-- attributes bind to the fields and methods below. After every action lunette re-reads what
-- the page shows (methods included) and sends only what changed.

-- A prototype's table keeps its identity across hot reloads (docs/protocol.md §7.5): the methods
-- assigned below replace the old ones, and tasks made before the reload use them at once.
-- The fields given here are defaults that every instance reads until it sets its own.
local Task = session:prototype("Task", {
  title = "",
  done = false,
  notes = "",
  expanded = false,
  editing = false,
  draft = "",       -- the title in the edit field
  problem = EMPTY,  -- why the last save was refused; EMPTY: nil, but listed as a field
})

local TaskList = session:prototype("TaskList", {
  newTitle = "",
  message = EMPTY,  -- why the last add was refused
  filter = "all",   -- the name of the chosen Filter
  added = 0,        -- tasks ever added, to number them
})

local Filter = session:prototype("Filter")

local function trim(text)
  return (text or ""):match("^%s*(.-)%s*$")
end

-- Task ------------------------------------------------------------------------------------

function Task:edit()
  self.draft, self.problem, self.editing = self.title, nil, true
end

function Task:save()
  local title = trim(self.draft)
  if title == "" then
    self.problem = "A task needs a title. Press Escape to keep the old one."
    return
  end
  self.title, self.problem, self.editing = title, nil, false
end

function Task:cancel()
  self.problem, self.editing = nil, false
end

-- Shown with ui-view and a namespace: the view appears while these return the task and goes
-- away when they return nil (Task.edit.html, Task.details.html).
function Task:editor()
  if self.editing then return self end
end

function Task:details()
  if self.expanded then return self end
end

function Task:toggleDetails()
  self.expanded = not self.expanded
end

function Task:delete()
  self.list:remove(self)
end

-- ui-attr-* removes an attribute for false: ARIA states want the strings "true" and "false".
function Task:expandedState()
  return tostring(self.expanded)
end

function Task:checkLabel()
  return "Done: " .. self.title
end

function Task:deleteLabel()
  return "Delete " .. self.title
end

function Task:info()
  return ("Task #%d, added %s UTC"):format(self.number, os.date("!%Y-%m-%d %H:%M", self.created))
end

-- TaskList --------------------------------------------------------------------------------

-- Tables a list owns are made per instance: a table among the prototype's defaults would be
-- shared by every list.
function TaskList:new()
  local list = session:create(self, { tasks = {} })
  list.filters = {
    Filter:new({ list = list, name = "all", label = "All" }),
    Filter:new({ list = list, name = "active", label = "Active" }),
    Filter:new({ list = list, name = "done", label = "Done" }),
  }
  return list
end

function TaskList:add()
  local title = trim(self.newTitle)
  if title == "" then
    self.message = "Type a title first: a task needs one."
    return
  end
  self.added = self.added + 1
  table.insert(self.tasks, Task:new({
    list = self,
    title = title,
    number = self.added,
    created = os.time(),
  }))
  self.newTitle, self.message = "", nil
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

-- A plain array of tasks: ui-viewlist shows each with its type's viewdef.
function TaskList:visible()
  local shown = {}
  for _, task in ipairs(self.tasks) do
    if self.filter == "all" or task.done == (self.filter == "done") then
      shown[#shown + 1] = task
    end
  end
  return shown
end

function TaskList:left()
  local left = 0
  for _, task in ipairs(self.tasks) do
    if not task.done then left = left + 1 end
  end
  return left
end

function TaskList:remaining()
  local left = self:left()
  if left == 0 then return "All done!" end
  return left .. (left == 1 and " task left" or " tasks left")
end

function TaskList:isEmpty()
  return #self.tasks == 0
end

function TaskList:nothingDone()
  return self:left() == #self.tasks
end

-- nil (an empty paragraph, hidden by the stylesheet) when the list shows something.
function TaskList:emptyText()
  if self:isEmpty() then return "Nothing to do yet. Add a task above." end
  if #self:visible() > 0 then return nil end
  if self.filter == "done" then return "No task is done yet." end
  return "Nothing left to do."
end

-- Filter ----------------------------------------------------------------------------------

function Filter:choose()
  self.list.filter = self.name
end

function Filter:pressed()
  return tostring(self.list.filter == self.name)
end

-- main.lua runs again on every hot reload: only the first run creates the app, so the list
-- survives while the code changes.
if not session.reloading then
  session:createAppVariable(TaskList:new())
end
