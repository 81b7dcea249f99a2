// Tanka's native functions, as Tanka-targeted libraries call them.
local parseYaml = std.native('parseYaml');
local sha256 = std.native('sha256');
local subst = std.native('regexSubst');
local values = parseYaml(importstr 'values.yaml')[0];
function(app, env, params) [
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: app.name + '-values',
      annotations: { checksum: sha256(std.manifestJsonMinified(values)) },
    },
    data: {
      image: subst(':[^:]+$', values.image, ':' + values.tag),
      matches: std.toString(std.native('regexMatch')('^v[0-9]+', values.tag)),
      quoted: std.native('escapeStringRegex')(values.image),
      json: std.toString(std.native('parseJson')('{"a": 1}')),
      yaml: std.native('manifestYamlFromJson')(std.manifestJsonMinified({ b: [1, 2], a: 'x' })),
    },
  },
]
