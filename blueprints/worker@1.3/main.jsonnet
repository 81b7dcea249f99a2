// worker 1.3 — queue consumer (1.3.0 adds the optional metricsPort).
//
// Objects:
//   ConfigMap <app>-queue                      always (QUEUE_NAME, QUEUE_URL, WORKER_CONCURRENCY)
//   Deployment <app>                           always
//   ExternalSecret <app>-credentials           when params.credentials is set
//   PodDisruptionBudget <app>                  when replicas > 1
local k8s = import 'k8s.libsonnet';

function(app, env, params)
  local name = app.name;
  local component = 'worker';
  local selector = k8s.selectorLabels(app, component);
  local queueConfigName = name + '-queue';
  local hasCredentials = std.objectHas(params, 'credentials');
  local credentialsName = name + '-credentials';
  local hasMetrics = std.objectHas(params, 'metricsPort');
  local metricsAnnotations = if hasMetrics then {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': std.toString(params.metricsPort),
  } else {};

  local queueConfig = k8s.configMap(queueConfigName, {
    QUEUE_NAME: params.queue.name,
    QUEUE_URL: params.queue.url,
    WORKER_CONCURRENCY: std.toString(params.concurrency),
  });

  local deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: name },
    spec: {
      replicas: params.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      // Consumers do not serve traffic: replace pods one at a time, no surge
      // (a surge would briefly raise the consumer count on the broker).
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
      },
      template: {
        metadata: {
          labels: k8s.podLabels(app, component),
          // Roll the pods when the queue settings change (envFrom is read at start only).
          annotations: { 'midway.dev/config-checksum': k8s.checksum(queueConfig.data) }
                       + metricsAnnotations,
        },
        spec: {
          automountServiceAccountToken: false,
          securityContext: k8s.podSecurityContext(),
          terminationGracePeriodSeconds: params.terminationGracePeriodSeconds,
          containers: [{
            name: name,
            image: params.image,
            imagePullPolicy: 'IfNotPresent',
            [if std.length(params.args) > 0 then 'args']: params.args,
            [if hasMetrics then 'ports']: [
              { name: 'metrics', containerPort: params.metricsPort, protocol: 'TCP' },
            ],
            envFrom: [{ configMapRef: { name: queueConfigName } }] +
                     (if hasCredentials then [{ secretRef: { name: credentialsName } }] else []),
            env: k8s.envList({ LOG_LEVEL: params.logLevel } + params.env),
            resources: params.resources,
            securityContext: k8s.containerSecurityContext(),
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          }],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };

  k8s.compact([
    queueConfig,
    deployment,
    if hasCredentials then
      local c = params.credentials;
      k8s.externalSecret(credentialsName, c.secretStore, c.remoteKey,
                         storeKind=c.storeKind, refreshInterval=c.refreshInterval),
    if params.replicas > 1 then k8s.podDisruptionBudget(env, name, selector, maxUnavailable=1),
  ])
