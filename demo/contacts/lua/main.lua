-- Contacts: a contact manager written the lunette way. Every object on screen is a Lua
-- object with a `type`; viewdefs/<type>.<namespace>.html says how it looks, and its ui-*
-- attributes bind to the object's fields and methods. The server notices what changed after
-- each event and updates only that. There is no JavaScript of the app's own.

-- A contact. `session:prototype` makes a class whose instances see these defaults and the
-- methods below; with --hotload, editing this file updates live instances in place.
Contact = session:prototype("Contact", {
  id = 0,
  name = "",
  email = "",
  phone = "",
  emergencyId = "", -- the id (as text, as a <select> holds it) of another contact, or ""
})

-- How a contact's name is shown everywhere. With --hotload, try changing this (say, to
-- `return self.name:upper()`) and save: every open page follows, keeping what you typed.
function Contact:displayName()
  return self.name
end

function Contact:initials()
  local letters = {}
  for word in self.name:gmatch("%S+") do
    letters[#letters + 1] = word:sub(1, 1):upper()
    if #letters == 2 then break end
  end
  return table.concat(letters)
end

function Contact:matches(text)
  if text == "" then return true end
  text = text:lower()
  for _, field in ipairs({ self.name, self.email, self.phone }) do
    if field:lower():find(text, 1, true) then return true end
  end
  return false
end

-- The contacts this one may name as its emergency contact: everyone else. Shown through a
-- lua.ViewList in the "option" namespace (viewdefs/*.option.html), which renders <option>s.
function Contact:emergencyChoices()
  local others = {}
  for _, contact in ipairs(app.contacts) do
    if contact ~= self then others[#others + 1] = contact end
  end
  return others
end

function Contact:emergencyName()
  local other = app:find(self.emergencyId)
  return other and other:displayName() or "nobody yet"
end

function Contact:hasEmail() return self.email ~= "" end
function Contact:hasPhone() return self.phone ~= "" end
function Contact:edit() app:startEdit(self) end
function Contact:delete() app:delete(self) end

-- How a contact presents itself in the list: a presenter made by the list's ViewList
-- (`itemWrapper=ContactRow`) as ContactRow:new({item = <old presenter>, baseItem = contact,
-- index = i}). Presenters keep list-only behaviour (selection) out of Contact.
ContactRow = session:prototype("ContactRow", {})

function ContactRow:contact() return self.baseItem end
function ContactRow:summary()
  local contact = self.baseItem
  if contact.email ~= "" then return contact.email end
  return contact.phone
end
function ContactRow:isSelected() return app.selected == self.baseItem end
function ContactRow:select() app:select(self.baseItem) end

-- The add/edit form. It edits a copy, so that Cancel leaves the contact as it was, and
-- says what is wrong beside each field.
ContactForm = session:prototype("ContactForm", {
  title = "New contact",
  name = "",
  email = "",
  phone = "",
  nameError = "",
  emailError = "",
  phoneError = "",
  editing = EMPTY, -- the contact being edited; nil when adding
})

function ContactForm:validate()
  self.name = self.name:match("^%s*(.-)%s*$")
  self.email = self.email:match("^%s*(.-)%s*$")
  self.phone = self.phone:match("^%s*(.-)%s*$")
  self.nameError = self.name == "" and "A contact needs a name." or ""
  self.emailError = ""
  if self.email ~= "" and not self.email:match("^[^%s@]+@[^%s@]+%.[^%s@]+$") then
    self.emailError = "That does not look like an email address."
  end
  self.phoneError = ""
  if self.phone ~= "" and not self.phone:match("^%+?[%d%s%-%(%)%.]+$") then
    self.phoneError = "A phone number has digits, spaces, + - ( ) and dots only."
  end
  return self.nameError == "" and self.emailError == "" and self.phoneError == ""
end

function ContactForm:save()
  if not self:validate() then return end
  app:save(self)
end

function ContactForm:cancel() app:closeForm() end

-- Shown in the detail pane when nothing is selected.
NoSelection = session:prototype("NoSelection", {})
function NoSelection:text()
  if #app.contacts == 0 then return "Add your first contact to get started." end
  return "Select a contact to see the details."
end

-- The app object: variable 1.
Contacts = session:prototype("Contacts", {
  contacts = EMPTY,
  search = "",
  selected = EMPTY,
  form = EMPTY,
  nextId = 1,
})

function Contacts:add(name, email, phone)
  local contact = Contact:new({ id = self.nextId, name = name, email = email, phone = phone })
  self.nextId = self.nextId + 1
  self.contacts[#self.contacts + 1] = contact
  return contact
end

function Contacts:find(id)
  for _, contact in ipairs(self.contacts) do
    if tostring(contact.id) == id then return contact end
  end
end

-- The contacts the search lets through, in name order.
function Contacts:shown()
  local shown = {}
  for _, contact in ipairs(self.contacts) do
    if contact:matches(self.search) then shown[#shown + 1] = contact end
  end
  table.sort(shown, function(a, b) return a.name:lower() < b.name:lower() end)
  return shown
end

function Contacts:countText()
  local total, shown = #self.contacts, #self:shown()
  local noun = total == 1 and "contact" or "contacts"
  if shown == total then return total .. " " .. noun end
  return "showing " .. shown .. " of " .. total .. " " .. noun
end

function Contacts:hasShown() return #self:shown() > 0 end
function Contacts:noSearch() return self.search == "" end

function Contacts:emptyText()
  if #self.contacts == 0 then return "No contacts yet." end
  return "No contact matches “" .. self.search .. "”."
end

function Contacts:clearSearch() self.search = "" end

-- What the detail pane shows: the form while adding or editing, else the selection.
function Contacts:panel()
  return self.form or self.selected or self.placeholder
end

function Contacts:select(contact)
  self.form = nil
  self.selected = contact
end

function Contacts:startAdd()
  self.form = ContactForm:new({ title = "New contact" })
end

function Contacts:startEdit(contact)
  self.form = ContactForm:new({
    title = "Edit " .. contact.name,
    name = contact.name,
    email = contact.email,
    phone = contact.phone,
    editing = contact,
  })
end

function Contacts:save(form)
  local contact = form.editing
  if contact then
    contact.name, contact.email, contact.phone = form.name, form.email, form.phone
  else
    contact = self:add(form.name, form.email, form.phone)
  end
  self.form = nil
  self.selected = contact
end

function Contacts:closeForm() self.form = nil end

function Contacts:delete(contact)
  for i, other in ipairs(self.contacts) do
    if other == contact then table.remove(self.contacts, i) end
  end
  for _, other in ipairs(self.contacts) do
    if other.emergencyId == tostring(contact.id) then other.emergencyId = "" end
  end
  if self.selected == contact then self.selected = nil end
  self.form = nil
end

-- A hot reload re-runs this file with session.reloading set: the prototypes above are
-- updated in place and the app object, with everything typed so far, is kept.
if not session.reloading then
  app = Contacts:new({ contacts = {}, placeholder = NoSelection:new() })
  app:add("Ada Lovelace", "ada@example.org", "+44 20 7946 0018")
  app:add("Grace Hopper", "grace@example.org", "")
  app:add("Alan Turing", "", "+44 161 496 0734")
  app.contacts[1].emergencyId = "2"
  session:createAppVariable(app)
end
