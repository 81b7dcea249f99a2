// Hidden fields (::) carry config and helpers; only visible fields are output.
local base = {
  config:: { name: 'web', port: 8080 },
  helper(x):: x * 2,
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: $.config.name, annotationsHidden:: { x: 'y' } },
  spec: { ports: [{ port: $.helper(40), targetPort: $.config.port }] },
};
function(app, env, params) [
  base { config+:: { name: app.name + '-web' } },
  base { config+:: { name: app.name + '-alt', port: 9090 }, spec+: { type: 'ClusterIP' } },
]
