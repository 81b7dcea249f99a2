// `+:` deep overrides of a library default, super references, and array appends.
local defaults = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'x', labels: { tier: 'backend' } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'x' } },
    template: {
      metadata: { labels: { app: 'x' } },
      spec: {
        containers: [{ name: 'main', image: 'nginx:1.21', args: ['--a'] }],
        terminationGracePeriodSeconds: 30,
      },
    },
  },
};
function(app, env, params) [
  defaults {
    metadata+: { name: app.name, labels+: { tier: 'frontend', extra: super.tier } },
    spec+: {
      replicas: super.replicas + 1,
      template+: {
        spec+: {
          containers: [c { args+: ['--b'] } for c in super.containers]
                      + [{ name: 'sidecar', image: 'busybox:1.34' }],
          terminationGracePeriodSeconds:: super.terminationGracePeriodSeconds,
        },
      },
    },
  },
]
