// web-service 2.x — stateless HTTP service.
//
// Objects (all named after the app):
//   Deployment, Service                       always
//   ConfigMap <app>-config                    when params.config is non-empty
//   HorizontalPodAutoscaler                   when params.autoscaling.enabled
//   PodDisruptionBudget                       when more than one replica is the floor
//   Ingress                                   when params.ingress is set
local k8s = import 'k8s.libsonnet';

function(app, env, params)
  local name = app.name;
  local component = 'web';
  local selector = k8s.selectorLabels(app, component);

  local scaling = params.autoscaling;
  local hpa = scaling.enabled;
  assert !hpa || scaling.maxReplicas >= scaling.minReplicas :
         'autoscaling.maxReplicas (%d) must be >= autoscaling.minReplicas (%d)'
         % [scaling.maxReplicas, scaling.minReplicas];

  // With an HPA the Deployment still states a replica count (the initial one);
  // keep it inside the HPA's range so the first rollout does not flap.
  local replicas =
    if hpa then std.max(scaling.minReplicas, std.min(params.replicas, scaling.maxReplicas))
    else params.replicas;
  // The number of pods we can count on outside a rollout.
  local floor = if hpa then scaling.minReplicas else params.replicas;

  local configName = name + '-config';
  local hasConfig = std.length(params.config) > 0;

  local probes = params.probes;
  local httpProbe(path, failureThreshold) = {
    httpGet: { path: path, port: 'http', scheme: 'HTTP' },
    initialDelaySeconds: probes.initialDelaySeconds,
    periodSeconds: probes.periodSeconds,
    timeoutSeconds: probes.timeoutSeconds,
    failureThreshold: failureThreshold,
  };

  local container = {
    name: name,
    image: params.image,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name: 'http', containerPort: params.port, protocol: 'TCP' }],
    // App-provided variables win over the defaults.
    env: k8s.envList({ LOG_LEVEL: params.logLevel, PORT: std.toString(params.port) } + params.env),
    resources: params.resources,
    securityContext: k8s.containerSecurityContext(params.readOnlyRootFilesystem),
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] +
                  (if hasConfig then [{ name: 'config', mountPath: params.configMountPath, readOnly: true }] else []),
  } + (
    if probes.enabled then {
      readinessProbe: httpProbe(std.get(probes, 'readinessPath', probes.path), probes.failureThreshold),
      // Liveness is more patient than readiness: restart only a pod that is really stuck.
      livenessProbe: httpProbe(probes.path, probes.failureThreshold * 2),
    } else {}
  );

  local deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: name },
    spec: {
      replicas: replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 },
      },
      template: {
        metadata: {
          labels: k8s.podLabels(app, component),
          [if hasConfig then 'annotations']: { 'midway.dev/config-checksum': k8s.checksum(params.config) },
        },
        spec: {
          automountServiceAccountToken: false,
          securityContext: k8s.podSecurityContext(std.get(params, 'runAsUser')),
          terminationGracePeriodSeconds: 30,
          topologySpreadConstraints: [{
            maxSkew: 1,
            topologyKey: 'topology.kubernetes.io/zone',
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: selector },
          }],
          containers: [container],
          volumes: [{ name: 'tmp', emptyDir: {} }] +
                   (if hasConfig then [{ name: 'config', configMap: { name: configName } }] else []),
        },
      },
    },
  };

  local service = k8s.service(name, selector, [
    { name: 'http', port: params.servicePort, targetPort: 'http' },
  ]);

  local ingress =
    if std.objectHas(params, 'ingress') then
      local ing = params.ingress;
      k8s.ingress(env, name, ing.host, ing.path, ing.pathType, name, 'http',
                  className=std.get(ing, 'className'),
                  tlsSecretName=std.get(ing, 'tlsSecretName', if ing.tls then name + '-tls' else null),
                  annotations=ing.annotations);

  k8s.compact([
    if hasConfig then k8s.configMap(configName, params.config),
    deployment,
    service,
    if hpa then k8s.horizontalPodAutoscaler(env, name, scaling.minReplicas, scaling.maxReplicas, scaling.targetCPU),
    if floor > 1 then k8s.podDisruptionBudget(env, name, selector, maxUnavailable=1),
    ingress,
  ])
