// amqp-external 1.x — `amqp` on the managed broker: credentials via ExternalSecret only.
local k8s = import 'k8s.libsonnet';

function(app, env, params)
  local name = app.name;
  local vhost = std.get(params, 'vhost', name);
  local secret = name + '-amqp';
  {
    objects: [k8s.externalSecret(secret, 'vault', '%s/amqp/%s' % [env.name, name])],
    outputs: {
      host: params.brokerHost,
      port: 5671,
      vhost: vhost,
      url: 'amqps://%s:5671/%s' % [params.brokerHost, vhost],
      username: { secretKeyRef: { name: secret, key: 'username' } },
      password: { secretKeyRef: { name: secret, key: 'password' } },
    },
  }
