function(app, env, params)
  local labels = { 'app.kubernetes.io/name': app.name };
  std.prune([
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app.name },
      spec: {
        replicas: params.replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels: labels },
          spec: { containers: [{ name: app.name, image: params.image }] },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: app.name },
      spec: {
        selector: labels,
        ports: [{ name: 'http', port: params.port, targetPort: 8080, protocol: 'TCP' }],
      },
    },
    if std.objectHas(params, 'storage') then {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: app.name + '-data' },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: params.storage } },
      },
    },
    if std.objectHas(params, 'secretKey') then {
      apiVersion: 'external-secrets.io/v1beta1',
      kind: 'ExternalSecret',
      metadata: { name: app.name + '-credentials' },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' },
        target: { name: app.name + '-credentials' },
        dataFrom: [{ extract: { key: params.secretKey } }],
      },
    },
  ])
