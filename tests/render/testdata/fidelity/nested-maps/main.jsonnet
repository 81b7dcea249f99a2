// kube-prometheus style: {component: {name: object}}, a deeper level, a component switched
// off (null) and an empty one.
local sa(name) = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: name } };
local svc(name, port) = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: name, labels: { 'app.kubernetes.io/component': name } },
  spec: { ports: [{ name: 'web', port: port, targetPort: 'web' }], selector: { app: name } },
};
function(app, env, params) {
  prometheus: {
    serviceAccount: sa(app.name + '-prometheus'),
    service: svc(app.name + '-prometheus', 9090),
  },
  alertmanager: {
    serviceAccount: sa(app.name + '-alertmanager'),
    service: svc(app.name + '-alertmanager', 9093),
    podDisruptionBudget: null,
  },
  grafana: { config: { dashboards: { service: svc(app.name + '-grafana', 3000) } } },
  blackboxExporter: {},
}
