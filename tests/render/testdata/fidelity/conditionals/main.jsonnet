// `if` without else (null: no object), std.prune, optional fields, numbers of every shape.
function(app, env, params)
  local big = env.cluster.kubernetesMinor >= 20;
  [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: app.name + '-numbers' },
      data: {
        floats: std.toString([0.6, 1.5e3, 1 / 3, 2.0, -0.0, 1e-7, 123456789012]),
        ints: std.toString([0, 42, std.pow(2, 53)]),
      },
    },
    if big then { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: app.name + '-new' } },
    if !big then { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: app.name + '-old' } },
    std.prune({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: app.name + '-pruned', labels: { a: null, b: 'b' } },
      spec: { ports: [{ port: 80, nodePort: null }], selector: {}, type: if big then 'ClusterIP' },
    }),
  ]
