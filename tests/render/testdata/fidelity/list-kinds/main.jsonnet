// kube-prometheus' dashboards come as a ConfigMapList; `kind: List` is its generic cousin.
local dashboards = {
  'nodes.json': { title: 'Nodes', uid: 'nodes' },
  'pods.json': { title: 'Pods', uid: 'pods' },
};
function(app, env, params) {
  dashboardDefinitions: {
    apiVersion: 'v1',
    kind: 'ConfigMapList',
    items: [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: app.name + '-dashboard-' + std.strReplace(name, '.json', '') },
        data: { [name]: std.manifestJsonEx(dashboards[name], '    ') },
      }
      for name in std.objectFields(dashboards)
    ],
  },
  generic: {
    apiVersion: 'v1',
    kind: 'List',
    items: [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: app.name + '-reader' } }],
  },
}
