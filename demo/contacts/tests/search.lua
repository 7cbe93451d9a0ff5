-- Search as you type: the list narrows with every key, the count says how many are shown, and
-- an empty result says so.

local SEARCH = "input[type=search]"

test("the list shows every contact in name order at first", function()
  local tab = open()
  tab:expectTexts(".rows .name", { "Ada Lovelace", "Alan Turing", "Grace Hopper" })
  tab:expectText(".count", "3 contacts")
  tab:expectHidden("p.empty")
  tab:expectHidden("[aria-label='Clear search']")
end)

test("the list narrows with every key typed, before leaving the field", function()
  local tab = open()
  tab:typeKeys(SEARCH, "a")
  tab:expectTexts(".rows .name", { "Ada Lovelace", "Alan Turing", "Grace Hopper" })
  tab:typeKeys(SEARCH, "al")
  tab:expectTexts(".rows .name", { "Alan Turing" })
  tab:expectText(".count", "showing 1 of 3 contacts")
  tab:expectVisible("[aria-label='Clear search']")
end)

test("the search looks at emails and phone numbers too", function()
  local tab = open()
  tab:type(SEARCH, "grace@")
  tab:expectTexts(".rows .name", { "Grace Hopper" })
  tab:type(SEARCH, "161")
  tab:expectTexts(".rows .name", { "Alan Turing" })
end)

test("a search that matches nothing says so, and clearing it brings everyone back", function()
  local tab = open()
  tab:type(SEARCH, "zebra")
  tab:expectCount(".rows .name", 0)
  tab:expectVisible("p.empty")
  tab:expectText("p.empty", "No contact matches “zebra”.")
  tab:expectText(".count", "showing 0 of 3 contacts")
  tab:click("[aria-label='Clear search']")
  tab:expectValue(SEARCH, "")
  tab:expectCount(".rows .name", 3)
  tab:expectHidden("p.empty")
end)
