// amqp-rabbitmq 1.x — provisioner of `amqp` resources: one single-node RabbitmqCluster.
function(app, env, params)
  local name = app.name;
  local host = '%s.%s.svc.cluster.local' % [name, env.namespace];
  local vhostPath = if params.vhost == '/' then '' else params.vhost;
  {
    objects: [{
      apiVersion: 'rabbitmq.com/v1beta1',
      kind: 'RabbitmqCluster',
      metadata: { name: name },
      spec: { replicas: 1, persistence: { storage: '1Gi' } },
    }],
    outputs: {
      host: host,
      port: 5672,
      vhost: params.vhost,
      url: 'amqp://%s:5672/%s' % [host, vhostPath],
      username: { secretKeyRef: { name: name + '-default-user', key: 'username' } },
      password: { secretKeyRef: { name: name + '-default-user', key: 'password' } },
    },
  }
