// k8s.libsonnet — shared Kubernetes helpers for this config repo's blueprints.
//
//   local k8s = import 'k8s.libsonnet';
//
// Everything here is a pure function of its arguments: no time, no randomness,
// no environment lookups, so a render is reproducible byte for byte.
//
// Conventions the helpers follow (see docs/blueprints.md):
//   * never set metadata.namespace — midway sets it for the destination;
//   * never set the ownership labels (app.kubernetes.io/managed-by, midway.dev/*)
//     on object metadata — midway adds them; pod templates copy `app.labels`
//     (minus managed-by) so pods can be traced to their app;
//   * selectors use only labels the blueprint owns (app.kubernetes.io/name and
//     app.kubernetes.io/component): selectors are immutable, so they must not
//     depend on labels midway may extend later;
//   * API versions are chosen from env.cluster.kubernetesVersion.

// ---------------------------------------------------------------------------
// Kubernetes versions

local isDigit(c) = std.codepoint(c) >= 48 && std.codepoint(c) <= 57;

// The leading decimal number of `s` ("31+" -> 31, "20-gke.100" -> 20).
local leadingInt(s, what) =
  local chars = std.stringChars(s);
  local scan(i) = if i < std.length(chars) && isDigit(chars[i]) then scan(i + 1) else i;
  local n = scan(0);
  if n == 0 then error 'kubernetesVersion "%s": "%s" is not a number' % [what, s]
  else std.parseInt(std.substr(s, 0, n));

// "1.20", "v1.31.2", "1.29+" -> [1, 20] ...
local parseVersion(v) =
  local s0 = std.toString(v);
  local s = if std.startsWith(s0, 'v') then std.substr(s0, 1, std.length(s0) - 1) else s0;
  local parts = std.split(s, '.');
  if std.length(parts) < 2 then error 'kubernetesVersion "%s": expected MAJOR.MINOR, e.g. "1.31"' % s0
  else [leadingInt(parts[0], s0), leadingInt(parts[1], s0)];

local compare(a, b) =
  if a[0] != b[0] then a[0] - b[0] else a[1] - b[1];

// midway passes the version pre-parsed (kubernetesMajor/Minor): parsing the string with
// std.stringChars on every atLeast() call was most of a unit's evaluation time.
local clusterVersion(env) =
  if std.objectHas(env, 'cluster') && std.objectHas(env.cluster, 'kubernetesMinor') then
    [env.cluster.kubernetesMajor, env.cluster.kubernetesMinor]
  else if !std.objectHas(env, 'cluster') || !std.objectHas(env.cluster, 'kubernetesVersion') then
    error 'env.cluster.kubernetesVersion is missing: midway passes it for every destination'
  else parseVersion(env.cluster.kubernetesVersion);

// The minimum versions this library asks about, parsed once per render batch (file-level
// locals are evaluated once per import, and midway imports this file once per batch).
local knownMinimums = { [v]: parseVersion(v) for v in ['1.19', '1.21', '1.23'] };

// true when the destination cluster runs Kubernetes `min` or newer.
local atLeast(env, min) =
  local wanted = if std.objectHas(knownMinimums, min) then knownMinimums[min] else parseVersion(min);
  compare(clusterVersion(env), wanted) >= 0;

// ---------------------------------------------------------------------------
// Small value helpers

local sortedEnv(map) = [{ name: k, value: std.toString(map[k]) } for k in std.objectFields(map)];

local compact(list) = std.filter(function(o) o != null, list);

{
  // --- versions -----------------------------------------------------------
  parseVersion:: parseVersion,
  atLeast:: atLeast,

  // API versions of the kinds whose served version depends on the cluster.
  // Kubernetes removed the beta versions in 1.25 (PDB) and 1.26 (HPA); the
  // GA versions arrived in 1.21 (policy/v1) and 1.23 (autoscaling/v2).
  apiVersion:: {
    pdb(env):: if atLeast(env, '1.21') then 'policy/v1' else 'policy/v1beta1',
    hpa(env):: if atLeast(env, '1.23') then 'autoscaling/v2' else 'autoscaling/v2beta2',
    ingress(env)::
      if atLeast(env, '1.19') then 'networking.k8s.io/v1'
      else error 'Ingress needs Kubernetes 1.19 or newer (networking.k8s.io/v1); cluster %s runs %s'
                 % [env.cluster.name, env.cluster.kubernetesVersion],
  },

  // --- labels -------------------------------------------------------------
  // Labels for selectors: owned by the blueprint, stable for the object's life.
  selectorLabels(app, component):: {
    'app.kubernetes.io/name': app.name,
    'app.kubernetes.io/component': component,
  },

  // Labels for pod templates: selector labels plus midway's ownership labels
  // (team, app, env: useful for NetworkPolicies and cost reports), except
  // app.kubernetes.io/managed-by — pods and ReplicaSets are made by
  // controllers, not midway, and must never look like midway's own objects
  // to orphan detection or pruning.
  podLabels(app, component)::
    // Hiding the field (::) drops it from the output; cheaper than a filtered comprehension.
    std.get(app, 'labels', {})
    + { 'app.kubernetes.io/managed-by':: null }
    + self.selectorLabels(app, component),

  // --- value helpers ------------------------------------------------------
  // {B: "2", A: "1"} -> [{name: "A", value: "1"}, {name: "B", value: "2"}] (sorted: deterministic).
  envList(map):: sortedEnv(map),
  // Drop nulls from a list of optional objects.
  compact(list):: compact(list),
  // A short, stable digest of any JSON value: put it in a pod-template
  // annotation so pods roll when the configuration they mount changes.
  checksum(value):: std.md5(std.manifestJsonEx(value, '')),

  // Restricted-profile security settings (Pod Security Standards "restricted").
  podSecurityContext(runAsUser=null):: {
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
    [if runAsUser != null then 'runAsUser']: runAsUser,
  },
  containerSecurityContext(readOnlyRootFilesystem=true):: {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: readOnlyRootFilesystem,
    capabilities: { drop: ['ALL'] },
  },

  // --- objects ------------------------------------------------------------
  configMap(name, data):: {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: name },
    data: data,
  },

  // ports: [{name, port, targetPort}] — protocol TCP is always written, because
  // server-side apply on older clusters rejects ports without it.
  service(name, selector, ports):: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: name },
    spec: {
      type: 'ClusterIP',
      selector: selector,
      ports: [p { protocol: 'TCP' } for p in ports],
    },
  },

  horizontalPodAutoscaler(env, name, minReplicas, maxReplicas, targetCPU):: {
    apiVersion: $.apiVersion.hpa(env),
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: name },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: name },
      minReplicas: minReplicas,
      maxReplicas: maxReplicas,
      // Same shape in autoscaling/v2beta2 and autoscaling/v2.
      metrics: [{
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: targetCPU } },
      }],
    },
  },

  podDisruptionBudget(env, name, selector, maxUnavailable=1):: {
    apiVersion: $.apiVersion.pdb(env),
    kind: 'PodDisruptionBudget',
    metadata: { name: name },
    spec: {
      maxUnavailable: maxUnavailable,
      selector: { matchLabels: selector },
    },
  },

  ingress(env, name, host, path, pathType, serviceName, servicePortName,
          className=null, tlsSecretName=null, annotations={}):: {
    apiVersion: $.apiVersion.ingress(env),
    kind: 'Ingress',
    metadata: {
      name: name,
      [if std.length(annotations) > 0 then 'annotations']: annotations,
    },
    spec: {
      [if className != null then 'ingressClassName']: className,
      rules: [{
        host: host,
        http: {
          paths: [{
            path: path,
            pathType: pathType,
            backend: { service: { name: serviceName, port: { name: servicePortName } } },
          }],
        },
      }],
      [if tlsSecretName != null then 'tls']: [{ hosts: [host], secretName: tlsSecretName }],
    },
  },

  // The supported way to bring a secret into a namespace: an External Secrets
  // Operator ExternalSecret that copies every key of `remoteKey` from the
  // secret store into a Secret called `name`. Never render a `kind: Secret`
  // with data — the state repo is readable by every team.
  externalSecret(name, secretStore, remoteKey, storeKind='ClusterSecretStore', refreshInterval='1h'):: {
    apiVersion: 'external-secrets.io/v1beta1',
    kind: 'ExternalSecret',
    metadata: { name: name },
    spec: {
      refreshInterval: refreshInterval,
      secretStoreRef: { name: secretStore, kind: storeKind },
      target: { name: name, creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      dataFrom: [{ extract: { key: remoteKey } }],
    },
  },
}
