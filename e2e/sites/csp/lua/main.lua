-- The browser test of the app page's Content-Security-Policy (e2e/tests/csp.rs): markup shown
-- by ui-html that tries to run an event handler, next to a template that styles itself and
-- runs a script.
local app = {
  type = "App",
  html = '<b id="harmless">harmless</b>',
}

function app:inject()
  self.html = '<img id="injected" src="/missing.png" onerror="document.body.dataset.injected = 1">'
end

session:createAppVariable(app)
