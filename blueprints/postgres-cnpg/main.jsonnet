// postgres-cnpg 1.x — provisioner of `postgres` resources (docs/resources.md).
//
// Objects (app.name is the resource's name, e.g. ledger-db or checkout-db):
//   Cluster <name>                 postgresql.cnpg.io/v1; the operator creates the Services
//                                  <name>-rw/-ro and the Secret <name>-app (username, password)
//   ExternalSecret <name>-credentials   in each consumer's namespace: a copy of <name>-app
//                                  through the platform's `cnpg-app-secrets` store
//   ScheduledBackup <name>-nightly class ha only (+ ExternalSecret <name>-backup-credentials)
// Returns {objects, outputs}; `password` is a reference, never a value.
local k8s = import 'k8s.libsonnet';

function(app, env, params)
  local name = app.name;
  local ha = app.resource.class == 'ha';
  local database = std.get(params, 'database', std.strReplace(name, '-', '_'));
  local storage = std.get(params, 'storage', if ha then '50Gi' else '2Gi');
  local credentials = name + '-credentials';
  local namespaces = std.set([c.namespace for c in app.resource.consumers]);
  local copy(ns) = k8s.externalSecret(credentials, 'cnpg-app-secrets', '%s/%s-app' % [env.namespace, name]) + {
    metadata+: { namespace: ns },
  };
  {
    objects: k8s.compact([
      {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Cluster',
        metadata: { name: name },
        spec: {
          instances: if ha then 3 else 1,
          imageName: 'ghcr.io/cloudnative-pg/postgresql:' + params.postgresVersion,
          primaryUpdateStrategy: 'unsupervised',
          enableSuperuserAccess: false,
          bootstrap: { initdb: { database: database, owner: database } },
          storage: { size: storage },
          [if std.length(params.parameters) > 0 then 'postgresql']: { parameters: params.parameters },
          [if ha then 'backup']: {
            retentionPolicy: '30d',
            barmanObjectStore: {
              destinationPath: '%s/%s/%s' % [params.backupBucket, env.name, name],
              s3Credentials: {
                accessKeyId: { name: name + '-backup-credentials', key: 'ACCESS_KEY_ID' },
                secretAccessKey: { name: name + '-backup-credentials', key: 'ACCESS_SECRET_KEY' },
              },
            },
          },
        },
      },
      if ha then k8s.externalSecret(name + '-backup-credentials', 'vault', '%s/pg-backup' % env.name),
      if ha then {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'ScheduledBackup',
        metadata: { name: name + '-nightly' },
        spec: { schedule: '0 0 2 * * *', backupOwnerReference: 'self', cluster: { name: name } },
      },
    ] + [copy(ns) for ns in namespaces]),
    outputs: {
      host: '%s-rw.%s.svc.cluster.local' % [name, env.namespace],
      port: 5432,
      database: database,
      username: database,
      password: { secretKeyRef: { name: credentials, key: 'password' } },
    },
  }
