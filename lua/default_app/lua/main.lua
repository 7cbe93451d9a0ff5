-- The app lunette serves when it is started without --dir.
local app = {
  type = "Welcome",
  title = "Welcome to lunette",
  message = "Your app lives in lua/main.lua; its views in viewdefs/.",
}

session:createAppVariable(app)
