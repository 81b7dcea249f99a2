// web-service 1.4 (legacy line) — Deployment + Service + optional HPA.
// Frozen: fixes only. New features go to web-service 2.x.
local k8s = import 'k8s.libsonnet';

function(app, env, params)
  local name = app.name;
  local selector = k8s.selectorLabels(app, 'web');
  local hpa = std.objectHas(params, 'maxReplicas');
  assert !hpa || params.maxReplicas >= params.replicas :
         'maxReplicas (%d) must be >= replicas (%d)' % [params.maxReplicas, params.replicas];

  [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: name },
      spec: {
        replicas: params.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: k8s.podLabels(app, 'web') },
          spec: {
            containers: [{
              name: name,
              image: params.image,
              ports: [{ name: 'http', containerPort: params.port, protocol: 'TCP' }],
              env: k8s.envList({ LOG_LEVEL: params.logLevel }),
              // Fixed in 1.x (configurable from 2.0); the HPA needs requests.cpu.
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
              readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 10 },
            }],
          },
        },
      },
    },
    k8s.service(name, selector, [{ name: 'http', port: 80, targetPort: 'http' }]),
  ] + (
    if hpa then [k8s.horizontalPodAutoscaler(env, name, params.replicas, params.maxReplicas, 80)] else []
  )
