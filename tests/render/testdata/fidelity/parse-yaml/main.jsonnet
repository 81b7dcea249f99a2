// Plain YAML manifests imported as text and parsed (multi-document), then patched.
local docs = std.parseYaml(importstr 'objects.yaml');
function(app, env, params) [
  d { metadata+: { name: app.name + '-' + super.name } }
  for d in docs
]
