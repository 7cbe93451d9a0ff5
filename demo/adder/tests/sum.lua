-- The Adder (README, docs/protocol.md §12): two fields and their sum.

test("the sum appears once both numbers are typed", function()
  local tab = open()
  tab:type("input:nth-of-type(1)", "2")
  tab:expectText("span", "")
  tab:type("input:nth-of-type(2)", "3")
  tab:expectText("span", "5")
end)
