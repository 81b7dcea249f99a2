// A generated ~900 kB dashboard (as grafana mixins produce) in one ConfigMap.
local panel(i) = {
  id: i,
  title: 'Panel %d' % i,
  type: 'graph',
  gridPos: { x: (i % 4) * 6, y: std.floor(i / 4) * 8, w: 6, h: 8 },
  targets: [{ expr: 'sum by (instance) (rate(metric_%d_total{job="app"}[5m]))' % i, refId: 'A' }],
  thresholds: [{ value: i * 0.1, colorMode: 'critical' }],
  description: std.repeat('x', 200),
};
function(app, env, params) [
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: app.name + '-dashboard' },
    data: {
      'big.json': std.manifestJsonEx({ title: 'Big', panels: [panel(i) for i in std.range(1, 1450)] }, '  '),
    },
  },
]
