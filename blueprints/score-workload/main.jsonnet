// score-workload 1.x — what a Score file (apps/<team>/<name>.score.yaml) renders to.
//
// Objects (all named after the app):
//   Deployment            always: every Score container, in name order
//   ConfigMap <app>-files when a container has `files` (text in data, base64 in binaryData)
//   Service               when the Score file has `service.ports`
//
// Params are the Score file's `containers` and `service` (docs/score.md); midway has
// already filled in the placeholders, and turns secret outputs in env vars into
// secretKeyRefs after this ran (a secret anywhere else, e.g. in a file, is refused).
local k8s = import 'k8s.libsonnet';

function(app, env, params)
  local name = app.name;
  local component = 'score';
  local selector = k8s.selectorLabels(app, component);
  local filesName = name + '-files';

  // Keys of <app>-files: `<container>-<index>-<basename>`, unique by construction and
  // valid ConfigMap keys ([-._a-zA-Z0-9]).
  local keyChar(c) = if std.member('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._', c) then c else '_';
  local fileKey(container, index, target) =
    local parts = std.split(target, '/');
    local base = std.join('', std.map(keyChar, std.stringChars(parts[std.length(parts) - 1])));
    '%s-%d-%s' % [container, index, if base == '' then 'file' else base];

  local names = std.objectFields(params.containers);
  local cfiles(c) = std.get(params.containers[c], 'files', []);
  // Score's container order is the file's; Jsonnet sorts fields, so the order is by name
  // (deterministic either way).
  local files = [
    { container: c, index: i, file: cfiles(c)[i], key: fileKey(c, i, cfiles(c)[i].target) }
    for c in names
    for i in std.range(0, std.length(cfiles(c)) - 1)
  ];
  local hasFiles = std.length(files) > 0;

  local probe(p) =
    if std.objectHas(p, 'exec') then { exec: { command: p.exec.command } }
    else if std.objectHas(p, 'httpGet') then
      local h = p.httpGet;
      {
        httpGet: {
          path: h.path,
          port: h.port,
          scheme: std.get(h, 'scheme', 'HTTP'),
          [if std.objectHas(h, 'host') then 'host']: h.host,
          [if std.objectHas(h, 'httpHeaders') then 'httpHeaders']: h.httpHeaders,
        },
      }
    else null;  // an empty Score probe: no probe

  local variables(c) =
    (if std.objectHas(params, 'logLevel') then { LOG_LEVEL: params.logLevel } else {})
    + std.get(c, 'variables', {});

  local container(cname) =
    local c = params.containers[cname];
    {
      name: cname,
      image: c.image,
      imagePullPolicy: 'IfNotPresent',
      [if std.objectHas(c, 'command') then 'command']: c.command,
      [if std.objectHas(c, 'args') then 'args']: c.args,
      env: k8s.envList(variables(c)),
      [if std.objectHas(c, 'resources') then 'resources']: c.resources,
      [if probe(std.get(c, 'livenessProbe', {})) != null then 'livenessProbe']: probe(c.livenessProbe),
      [if probe(std.get(c, 'readinessProbe', {})) != null then 'readinessProbe']: probe(c.readinessProbe),
      [if std.length(cfiles(cname)) > 0 then 'volumeMounts']: [
        { name: 'files', mountPath: f.file.target, subPath: f.key, readOnly: true }
        for f in files
        if f.container == cname
      ],
    };

  local deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: name,
      [if std.length(params.annotations) > 0 then 'annotations']: params.annotations,
    },
    spec: {
      replicas: params.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: k8s.podLabels(app, component),
          // subPath mounts never see ConfigMap updates: roll the pods instead.
          local checksum = if hasFiles then { 'midway.dev/config-checksum': k8s.checksum([f.file for f in files]) } else {},
          [if std.length(params.annotations) > 0 || hasFiles then 'annotations']: params.annotations + checksum,
        },
        spec: {
          automountServiceAccountToken: false,
          containers: [container(c) for c in names],
          [if hasFiles then 'volumes']: [{
            name: 'files',
            configMap: {
              name: filesName,
              items: [
                { key: f.key, path: f.key } + (if std.objectHas(f.file, 'mode') then { mode: std.parseOctal(f.file.mode) } else {})
                for f in files
              ],
            },
          }],
        },
      },
    },
  };

  local ports = if std.objectHas(params, 'service') then std.get(params.service, 'ports', {}) else {};
  local service =
    if std.length(ports) > 0 then {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: name },
      spec: {
        type: 'ClusterIP',
        selector: selector,
        ports: [
          {
            name: p,
            port: ports[p].port,
            targetPort: std.get(ports[p], 'targetPort', ports[p].port),
            protocol: std.get(ports[p], 'protocol', 'TCP'),
          }
          for p in std.objectFields(ports)
        ],
      },
    };

  k8s.compact([
    if hasFiles then k8s.configMap(filesName, { [f.key]: f.file.content for f in files if std.objectHas(f.file, 'content') }) + (
      local binary = { [f.key]: f.file.binaryContent for f in files if std.objectHas(f.file, 'binaryContent') };
      if std.length(binary) > 0 then { binaryData: binary } else {}
    ),
    deployment,
    service,
  ])
