// Project mixins from lib/ applied with foldl; a vendored mixin by its jb legacy name.
local m = import 'fidelity/mixins.libsonnet';
local mixin = (import 'monitoring-mixin/mixin.libsonnet') + { _config+:: { refresh: '1m' } };
function(app, env, params) [
  m.apply(
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: app.name + '-dashboards' },
      data: { [name]: std.manifestJsonEx(mixin.grafanaDashboards[name], '  ') for name in std.objectFields(mixin.grafanaDashboards) },
    },
    [m.withTeamLabel(app.team), m.withAnnotation('example.com/owner', app.id)],
  ),
]
