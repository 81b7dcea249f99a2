// Config files rendered inside ConfigMaps with the std manifest functions.
local settings = {
  server: { port: 8080, timeouts: { read: '5s', write: '10s' }, ratio: 0.6 },
  features: ['a', 'b'],
  empty: {},
  multiline: 'line one\nline two\n',
};
function(app, env, params) [
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: app.name + '-files' },
    data: {
      'settings.yaml': std.manifestYamlDoc(settings),
      'settings-indented.yaml': std.manifestYamlDoc(settings, indent_array_in_object=true),
      'stream.yaml': std.manifestYamlStream([settings.server, settings.features]),
      'settings.json': std.manifestJsonEx(settings, '  '),
      'settings.min.json': std.manifestJsonMinified(settings),
      'app.ini': std.manifestIni({
        main: { env: env.name },
        sections: { db: { host: 'db', port: 5432 } },
      }),
      'env.txt': std.join('\n', ['%s=%s' % [k, settings.server.timeouts[k]] for k in std.objectFields(settings.server.timeouts)]),
    },
  },
]
