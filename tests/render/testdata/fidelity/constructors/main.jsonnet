// k8s-libsonnet style: constructors + mixins, imported by the dependency's full path.
local k = import 'github.com/jsonnet-libs/k8s-libsonnet/1.20/main.libsonnet';
local deployment = k.apps.v1.deployment;
local container = k.core.v1.container;
local port = k.core.v1.containerPort;

function(app, env, params)
  local labels = { 'app.kubernetes.io/name': app.name };
  local c =
    container.new(app.name, 'registry.example.com/%s:1.4.2' % app.name)
    + container.withPorts([port.newNamed(8080, 'http') + port.withProtocol('TCP')])
    + container.withEnvMixin([k.core.v1.envVar.new('LOG_LEVEL', params.logLevel)])
    + container.withEnvMixin([k.core.v1.envVar.new('GREETING', params.greeting)])
    + container.resources.withRequests({ cpu: '100m', memory: '128Mi' })
    + container.resources.withLimits({ memory: '256Mi' });
  [
    deployment.new(app.name, 2, [c], labels)
    + deployment.spec.withReplicas(if env.name == 'prod' then 3 else 2)
    + deployment.spec.template.spec.withServiceAccountName(app.name)
    + deployment.spec.template.spec.withNodeSelectorMixin({ 'kubernetes.io/os': 'linux' }),
    k.core.v1.service.new(app.name, labels, [k.core.v1.servicePort.newNamed('http', 80, 'http')]),
  ]
