// lunette browser client (docs/protocol.md §10): the module a page loads. Its modules (main.js and
// what it imports) come in one file that core makes of them, /lunette/bundle.js, so that a page
// fetches the client in two requests rather than one per module, level after level of imports. App
// pages preload the bundle. A page may load /lunette/main.js instead: the same client, module by
// module.
import "./bundle.js";
