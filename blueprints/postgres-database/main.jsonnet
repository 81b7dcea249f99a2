// postgres-database 1.x — a CloudNativePG cluster.
//
// Objects:
//   Cluster <app>                              (postgresql.cnpg.io/v1; the operator creates
//                                               pods, PVCs, Services <app>-rw/-ro/-r and the
//                                               Secret <app>-app with the owner's password)
//   ConfigMap <app>-connection                 how clients connect
//   ExternalSecret <app>-backup-credentials    when params.backup is set
//   ScheduledBackup <app>-scheduled            when params.backup.schedule is set
//
// The CRDs and the operator must be installed in the cluster (platform team).
local k8s = import 'k8s.libsonnet';

// midway's logLevel vocabulary -> CloudNativePG's.
local cnpgLogLevel = { debug: 'debug', info: 'info', warn: 'warning', 'error': 'error' };

function(app, env, params)
  local name = app.name;
  local database = std.get(params, 'database', std.strReplace(name, '-', '_'));
  local owner = std.get(params, 'owner', database);
  local hasBackup = std.objectHas(params, 'backup');
  local backupSecret = name + '-backup-credentials';

  local cluster = {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: name },
    spec: {
      instances: params.instances,
      imageName: 'ghcr.io/cloudnative-pg/postgresql:' + params.postgresVersion,
      logLevel: cnpgLogLevel[params.logLevel],
      // Switchover to a replica, then update the old primary: no manual step.
      primaryUpdateStrategy: 'unsupervised',
      enableSuperuserAccess: false,
      bootstrap: { initdb: { database: database, owner: owner } },
      storage: { size: params.storage.size } +
               (if std.objectHas(params.storage, 'storageClass') then { storageClass: params.storage.storageClass } else {}),
      [if std.length(params.parameters) > 0 then 'postgresql']: { parameters: params.parameters },
      resources: params.resources,
      affinity: {
        enablePodAntiAffinity: true,
        topologyKey: 'kubernetes.io/hostname',
      },
      [if hasBackup then 'backup']: {
        retentionPolicy: params.backup.retentionPolicy,
        barmanObjectStore: {
          destinationPath: params.backup.destinationPath,
          [if std.objectHas(params.backup, 'endpointURL') then 'endpointURL']: params.backup.endpointURL,
          s3Credentials: {
            accessKeyId: { name: backupSecret, key: 'ACCESS_KEY_ID' },
            secretAccessKey: { name: backupSecret, key: 'ACCESS_SECRET_KEY' },
          },
          wal: { compression: 'gzip' },
          data: { compression: 'gzip' },
        },
      },
    },
  };

  local connection = k8s.configMap(name + '-connection', {
    host: name + '-rw',
    // From other namespaces (the usual case: apps have their own).
    fqdn: '%s-rw.%s.svc' % [name, env.namespace],
    readOnlyHost: name + '-ro',
    port: '5432',
    database: database,
    user: owner,
    sslmode: 'require',
    // Operator-generated Secret with keys username, password, uri.
    credentialsSecret: name + '-app',
  });

  k8s.compact([
    cluster,
    connection,
    if hasBackup then
      local c = params.backup.credentials;
      k8s.externalSecret(backupSecret, c.secretStore, c.remoteKey, storeKind=c.storeKind),
    if hasBackup && std.objectHas(params.backup, 'schedule') then {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'ScheduledBackup',
      metadata: { name: name + '-scheduled' },
      spec: {
        schedule: params.backup.schedule,
        backupOwnerReference: 'self',
        cluster: { name: name },
      },
    },
  ])
