"""A library-heavy config repo in kube-prometheus' shape, written for the bench (no third-party
code): a vendored "kube-stack" library of components and monitoring mixins, and a blueprint
that instantiates the whole stack per app, as kube-prometheus users do.

Per app: ~140 objects (12 components × 9 objects, 24 Grafana dashboard ConfigMaps, 6
PrometheusRules) with ≥ 1 MB of dashboard JSON in ConfigMap data, from 48 imported files.
Everything depends on the app's values (namespace, selectors, replicas) through late binding
(`values+::`), so — as in kube-prometheus — the whole stack is re-evaluated for every app;
only parsing the library can be shared.

    python bench/heavy/generate.py DIR --apps 200

Also writes UNITS (default DIR/../direct-units.json): every app's TLAs (app, env, params as
JSON text) for the direct `_gojsonnet` evaluation the bench compares midway with
(bench/heavy/direct.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LIB = "github.com/bench-heavy/kube-stack/jsonnet/kube-stack"
GRAFONNET = "github.com/bench-heavy/grafonnet-lite/grafonnet"
COMPONENTS = (
    "alertmanager",
    "blackbox-exporter",
    "grafana",
    "kube-state-metrics",
    "node-exporter",
    "prometheus",
    "prometheus-operator",
    "prometheus-adapter",
    "pushgateway",
    "thanos-sidecar",
    "loki",
    "promtail",
)
MIXINS = ("node", "kubernetes", "prometheus", "alertmanager", "grafana", "etcd")
DASHBOARDS_PER_MIXIN = 2
PANELS_PER_DASHBOARD = 4
DOC_SECTIONS = 250  # ~85 KB of static documentation per mixin (Grafana text panels)
N_TEAMS = 10

GRAFONNET_FILES = {
    "dashboard.libsonnet": """\
{
  new(title, uid, tags=[], refresh='30s', time_from='now-1h'):: {
    title: title,
    uid: uid,
    tags: tags,
    refresh: refresh,
    time: { from: time_from, to: 'now' },
    timezone: 'utc',
    editable: false,
    graphTooltip: 1,
    schemaVersion: 36,
    version: 1,
    panels: [],
    templating: { list: [] },
    annotations: { list: [{ builtIn: 1, datasource: '-- Grafana --', enable: true,
                            hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations',
                            type: 'dashboard' }] },
    addPanels(panels):: self + { panels+: panels },
    addTemplates(templates):: self + { templating+: { list+: templates } },
  },
}
""",
    "panel.libsonnet": """\
local util = import 'util.libsonnet';
{
  timeseries(title, description, unit='short', datasource='$datasource'):: {
    type: 'timeseries',
    title: title,
    description: description,
    datasource: { type: 'prometheus', uid: datasource },
    fieldConfig: {
      defaults: {
        unit: unit,
        min: 0,
        decimals: 2,
        color: { mode: 'palette-classic' },
        thresholds: { mode: 'absolute', steps: util.steps([80, 90]) },
        custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, gradientMode: 'none',
                  showPoints: 'never', spanNulls: false, stacking: { mode: 'none' } },
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: 'table', placement: 'bottom', calcs: ['mean', 'max', 'last'] },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
    targets: [],
    addTarget(target, refId):: self + { targets+: [target { refId: refId }] },
  },
  text(title, content):: {
    type: 'text', title: title, options: { mode: 'markdown', content: content },
  },
  stat(title, description, unit='short'):: self.timeseries(title, description, unit) + {
    type: 'stat',
    options+: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
                colorMode: 'value', graphMode: 'area', justifyMode: 'auto' },
  },
}
""",
    "row.libsonnet": """\
{
  new(title, collapsed=false):: { type: 'row', title: title, collapsed: collapsed, panels: [] },
}
""",
    "target.libsonnet": """\
{
  prometheus(expr, legend='', interval='1m'):: {
    expr: expr,
    legendFormat: legend,
    interval: interval,
    intervalFactor: 2,
    format: 'time_series',
    instant: false,
  },
}
""",
    "template.libsonnet": """\
{
  datasource(name='datasource', query='prometheus', current='default'):: {
    name: name, type: 'datasource', query: query, hide: 0, label: 'Data source',
    current: { text: current, value: current }, regex: '', refresh: 1,
  },
  query(name, query, datasource='$datasource', multi=true):: {
    name: name, type: 'query', query: query, datasource: { type: 'prometheus', uid: datasource },
    hide: 0, includeAll: multi, multi: multi, refresh: 2, sort: 1, regex: '',
    current: { text: 'All', value: '$__all' },
  },
}
""",
    "util.libsonnet": """\
{
  steps(levels):: [{ color: 'green', value: null }] + [
    { color: if i == 0 then 'orange' else 'red', value: levels[i] }
    for i in std.range(0, std.length(levels) - 1)
  ],
  grid(panels, width=8, height=7):: [
    panels[i] + { id: i + 1, gridPos: { x: (i % (24 / width)) * width,
                                        y: std.floor(i / (24 / width)) * height,
                                        w: width, h: height } }
    for i in std.range(0, std.length(panels) - 1)
  ],
}
""",
}


def _component(name: str, index: int) -> str:
    kind = ("Deployment", "StatefulSet", "DaemonSet")[index % 3]
    port = 9000 + index * 7
    return f"""\
// {name}: the objects of one component, configured from $.values via the params.
local defaults = {{
  name: '{name}',
  namespace: error 'must provide namespace',
  version: '0.{index + 20}.{index}',
  image: 'registry.example.com/{name}:v' + self.version,
  replicas: 1,
  port: {port},
  resources: {{ requests: {{ cpu: '{50 + index * 10}m', memory: '{64 + index * 16}Mi' }},
               limits: {{ memory: '{128 + index * 32}Mi' }} }},
  commonLabels:: {{
    'app.kubernetes.io/name': '{name}',
    'app.kubernetes.io/version': defaults.version,
    'app.kubernetes.io/component': '{name}',
    'app.kubernetes.io/part-of': 'kube-stack',
  }},
  selectorLabels:: {{
    [label]: defaults.commonLabels[label]
    for label in std.objectFields(defaults.commonLabels)
    if !std.setMember(label, ['app.kubernetes.io/version'])
  }},
  config:: {{}},
}};

function(params) {{
  local c = self,
  _config:: defaults + params,
  _metadata:: {{
    name: c._config.name,
    namespace: c._config.namespace,
    labels: c._config.commonLabels,
  }},
  serviceAccount: {{
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: c._metadata,
    automountServiceAccountToken: false,
  }},
  service: {{
    apiVersion: 'v1',
    kind: 'Service',
    metadata: c._metadata,
    spec: {{
      ports: [{{ name: 'web', port: c._config.port, targetPort: 'web', protocol: 'TCP' }},
              {{ name: 'metrics', port: c._config.port + 1, targetPort: 'metrics',
                protocol: 'TCP' }}],
      selector: c._config.selectorLabels,
    }},
  }},
  config: {{
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: c._metadata {{ name: c._config.name + '-config' }},
    data: {{
      'config.yaml': std.manifestYamlDoc({{
        global: {{ scrape_interval: '30s', external_labels: {{ cluster: c._config.cluster }} }},
        listen: ':%d' % c._config.port,
        retention: c._config.retention,
        targets: ['%s-%d.%s.svc:%d' % [c._config.name, i, c._config.namespace, c._config.port]
                  for i in std.range(0, c._config.replicas - 1)],
      }} + c._config.config),
    }},
  }},
  workload: {{
    apiVersion: 'apps/v1',
    kind: '{kind}',
    metadata: c._metadata,
    spec: {{
      selector: {{ matchLabels: c._config.selectorLabels }},
      template: {{
        metadata: {{ labels: c._config.commonLabels }},
        spec: {{
          serviceAccountName: c._config.name,
          securityContext: {{ runAsNonRoot: true, runAsUser: 65534, fsGroup: 65534 }},
          containers: [{{
            name: c._config.name,
            image: c._config.image,
            args: ['--config.file=/etc/{name}/config.yaml',
                   '--web.listen-address=:%d' % c._config.port],
            ports: [{{ name: 'web', containerPort: c._config.port }},
                    {{ name: 'metrics', containerPort: c._config.port + 1 }}],
            resources: c._config.resources,
            readinessProbe: {{ httpGet: {{ path: '/-/ready', port: 'web' }}, periodSeconds: 10 }},
            volumeMounts: [{{ name: 'config', mountPath: '/etc/{name}', readOnly: true }}],
          }}],
          volumes: [{{ name: 'config', configMap: {{ name: c._config.name + '-config' }} }}],
        }},
      }},
    }} + (if '{kind}' == 'DaemonSet' then {{}} else {{ replicas: c._config.replicas }})
       + (if '{kind}' == 'StatefulSet' then {{ serviceName: c._config.name }} else {{}}),
  }},
  role: {{
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: c._metadata,
    rules: [{{ apiGroups: [''], resources: ['services', 'endpoints', 'pods', 'configmaps'],
              verbs: ['get', 'list', 'watch'] }}],
  }},
  roleBinding: {{
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: c._metadata,
    roleRef: {{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: c._config.name }},
    subjects: [{{ kind: 'ServiceAccount', name: c._config.name,
                 namespace: c._config.namespace }}],
  }},
  networkPolicy: {{
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: c._metadata,
    spec: {{
      podSelector: {{ matchLabels: c._config.selectorLabels }},
      policyTypes: ['Ingress'],
      ingress: [{{ ports: [{{ port: c._config.port, protocol: 'TCP' }}] }}],
    }},
  }},
  podDisruptionBudget: {{
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: c._metadata,
    spec: {{ maxUnavailable: 1, selector: {{ matchLabels: c._config.selectorLabels }} }},
  }},
  serviceMonitor: {{
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: c._metadata,
    spec: {{
      selector: {{ matchLabels: c._config.selectorLabels }},
      endpoints: [{{ port: 'metrics', interval: '30s', scheme: 'http',
                    relabelings: [{{ action: 'replace', targetLabel: 'cluster',
                                    replacement: c._config.cluster }}] }}],
    }},
  }},
}}
"""


def _mixin_files(name: str) -> dict[str, str]:
    dashboards = "\n".join(
        f"""  '{name}-{d}.json':
    dashboard.new('{name.title()} / view {d}', std.md5('{name}-{d}' + $._config.cluster),
                  tags=['{name}', 'kube-stack'])
    .addTemplates([template.datasource(),
                   template.query('namespace', 'label_values(up, namespace)')])
    .addPanels(util.grid(panelsFor('{name}', {d})
                         + [panel.text('About {name}', docs.overview)])),"""
        for d in range(DASHBOARDS_PER_MIXIN)
    )
    return {
        "docs.libsonnet": _docs(name),
        "mixin.libsonnet": """\
(import 'config.libsonnet') + (import 'dashboards.libsonnet') + (import 'alerts.libsonnet')
+ (import 'rules.libsonnet')
""",
        "config.libsonnet": f"""\
{{
  _config+:: {{
    selector: 'job="{name}", namespace="%s"' % self.namespace,
    namespace: error 'the {name} mixin needs _config.namespace',
    cluster: 'default',
    rateInterval: '5m',
    panels: {PANELS_PER_DASHBOARD},
  }},
}}
""",
        "dashboards.libsonnet": f"""\
local dashboard = import '{GRAFONNET}/dashboard.libsonnet';
local panel = import '{GRAFONNET}/panel.libsonnet';
local target = import '{GRAFONNET}/target.libsonnet';
local template = import '{GRAFONNET}/template.libsonnet';
local util = import '{GRAFONNET}/util.libsonnet';
local docs = import 'docs.libsonnet';
{{
  local panelsFor(mixin, board) = [
    local metric = '%s_metric_%d_%d_total' % [std.strReplace(mixin, '-', '_'), board, i];
    (if i % 5 == 0 then panel.stat else panel.timeseries)(
      'Panel %d of %s dashboard %d' % [i, mixin, board],
      'Rate of %s per instance over %s, for the %s cluster. ' % [metric, $._config.rateInterval,
                                                                 $._config.cluster]
      + 'Values above the thresholds mean the component is saturated.',
      unit=['short', 'bytes', 's', 'percentunit'][i % 4],
    )
    .addTarget(target.prometheus(
      'sum by (instance) (rate(%s{{%s, cluster="%s"}}[%s]))' % [
        metric, $._config.selector, $._config.cluster, $._config.rateInterval],
      '{{{{instance}}}}',
    ), 'A')
    .addTarget(target.prometheus(
      'histogram_quantile(0.99, sum by (le) (rate(%s_bucket{{%s}}[%s])))' % [
        metric, $._config.selector, $._config.rateInterval],
      'p99',
    ), 'B')
    for i in std.range(1, $._config.panels)
  ],
  grafanaDashboards+:: {{
{dashboards}
  }},
}}
""",
        "alerts.libsonnet": f"""\
{{
  prometheusAlerts+:: {{
    groups+: [{{
      name: '{name}-alerts',
      rules: [{{
        alert: '{name.title().replace("-", "")}Problem%d' % i,
        expr: 'sum(rate({name}_errors_total{{%s}}[%s])) > %d' % [$._config.selector,
                                                                 $._config.rateInterval, i],
        'for': '%dm' % (5 + i),
        labels: {{ severity: if i % 3 == 0 then 'critical' else 'warning' }},
        annotations: {{
          summary: '{name} problem %d in %s' % [i, $._config.namespace],
          description: 'The {name} component reports errors above %d per second.' % i,
        }},
      }} for i in std.range(1, 6)],
    }}],
  }},
}}
""",
        "rules.libsonnet": f"""\
{{
  prometheusRules+:: {{
    groups+: [{{
      name: '{name}-recording',
      rules: [{{
        record: '{name.replace("-", "_")}:rate%d:sum' % i,
        expr: 'sum by (namespace) (rate({name}_ops_total{{%s}}[%dm]))' % [$._config.selector, i],
      }} for i in std.range(1, 4)],
    }}],
  }},
}}
""",
    }


def _docs(name: str) -> str:
    """Static markdown (the same for every app): what the mixin's metrics mean."""
    sections = []
    for i in range(DOC_SECTIONS):
        metric = f"{name.replace('-', '_')}_metric_{i}_total"
        sections.append(
            f"## {metric}\n\nCounts the operations of the {name} component, section {i}. A "
            f"rising rate of `{metric}` with flat latency is healthy; a rising rate with rising "
            "p99 latency means the component is saturated: add replicas or raise its limits.\n"
        )
    return "{\n  overview: " + json.dumps("\n".join(sections)) + ",\n}\n"


def _main_libsonnet() -> str:
    components = "\n".join(
        f"  '{c}': (import 'components/{c}.libsonnet')($.values.common + $.values['{c}']),"
        for c in COMPONENTS
    )
    mixins = "\n".join(
        f"  local {m}Mixin = (import 'mixins/{m}/mixin.libsonnet') + "
        f"{{ _config+:: {{ namespace: $.values.common.namespace, "
        f"cluster: $.values.common.cluster }} }},"
        for m in MIXINS
    )
    mixin_names = ", ".join(f"{m}Mixin" for m in MIXINS)
    return f"""\
// kube-stack: every component and mixin, configured through `values` (override with values+::).
local defaults = import 'defaults.libsonnet';
{{
  values:: defaults,
{mixins}
  local mixins = [{mixin_names}],
{components}
  dashboards: {{
    [std.strReplace(name, '.json', '')]: {{
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {{
        name: 'grafana-dashboard-' + std.strReplace(name, '.json', ''),
        namespace: $.values.common.namespace,
        labels: {{ 'grafana.example.com/dashboard': '1' }},
      }},
      data: {{ [name]: std.manifestJsonEx(mixin.grafanaDashboards[name], '    ') }},
    }}
    for mixin in mixins
    for name in std.objectFields(mixin.grafanaDashboards)
  }},
  rules: {{
    ['rules-%d' % i]: {{
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: {{ name: 'kube-stack-rules-%d' % i, namespace: $.values.common.namespace }},
      spec: {{ groups: mixins[i].prometheusAlerts.groups + mixins[i].prometheusRules.groups }},
    }}
    for i in std.range(0, std.length(mixins) - 1)
  }},
}}
"""


def _defaults() -> str:
    per_component = "\n".join(
        f"  '{c}': {{ replicas: {1 + i % 3} }}," for i, c in enumerate(COMPONENTS)
    )
    return f"""\
{{
  common: {{
    namespace: 'monitoring',
    cluster: 'default',
    retention: '15d',
  }},
{per_component}
}}
"""


BLUEPRINT_YAML = """\
apiVersion: midway.dev/v1
kind: Blueprint
metadata: {name: monitoring-stack}
spec:
  version: 1.0.0
  description: A kube-prometheus-shaped monitoring stack per app (bench only)
  parameters:
    type: object
    additionalProperties: false
    properties:
      replicas: {type: integer, default: 1, description: replicas of every component}
      retention: {type: string, default: 15d, description: how long metrics are kept}
"""

MAIN_JSONNET = f"""\
local stack = import '{LIB}/main.libsonnet';
function(app, env, params)
  local kp = stack + {{
    values+:: {{
      common+: {{
        namespace: env.namespace,
        cluster: env.cluster.name,
        retention: params.retention,
        replicas: params.replicas,
      }},
    }},
  }};
  [kp[group][name] for group in std.objectFields(kp) for name in std.objectFields(kp[group])]
"""

ENV_YAML = """\
apiVersion: midway.dev/v1
kind: Environment
metadata:
  name: bench
spec:
  order: 1
  clusters:
    - name: bench-1
      server: https://127.0.0.1:16443
      kubernetesVersion: "1.31"
  namespace: "{team}-{app}"
  policy:
    drift: warn
    prune: true
    allowEmptyPrune: false
  argocd:
    mode: applications
    namespace: argocd
    project: default
    repoURL: https://git.example.com/platform/state.git
    targetRevision: main
    syncPolicy: {automated: true, prune: true, selfHeal: true}
  drift:
    ignore: []
"""


def _app_yaml(team: str, name: str, replicas: int) -> str:
    return (
        "apiVersion: midway.dev/v1\nkind: App\n"
        f"metadata: {{name: {name}, team: {team}}}\n"
        "spec:\n  blueprint: monitoring-stack@^1\n"
        f"  params: {{replicas: {replicas}, retention: {7 + replicas}d}}\n"
        "  environments:\n    bench: {}\n"
    )


def library_files() -> dict[str, str]:
    """Path below vendor/ -> content."""
    files = {f"{GRAFONNET}/{name}": text for name, text in GRAFONNET_FILES.items()}
    files[f"{LIB}/main.libsonnet"] = _main_libsonnet()
    files[f"{LIB}/defaults.libsonnet"] = _defaults()
    for index, component in enumerate(COMPONENTS):
        files[f"{LIB}/components/{component}.libsonnet"] = _component(component, index)
    for mixin in MIXINS:
        for name, text in _mixin_files(mixin).items():
            files[f"{LIB}/mixins/{mixin}/{name}"] = text
    return files


def generate(root: Path, n_apps: int, units_path: Path | None = None) -> list[dict[str, str]]:
    """Write the config repo; returns (and writes to `units_path`) each app's TLAs."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(PROJECT_ROOT / "midway.yaml", root / "midway.yaml")
    for rel, text in library_files().items():
        _write(root / "vendor" / rel, text)
    _write(root / "blueprints/monitoring-stack/blueprint.yaml", BLUEPRINT_YAML)
    _write(root / "blueprints/monitoring-stack/main.jsonnet", MAIN_JSONNET)
    _write(root / "environments/bench.yaml", ENV_YAML)
    units = []
    for i in range(n_apps):
        team, name, replicas = f"team-{i % N_TEAMS:02d}", f"mon-{i:04d}", 1 + i % 3
        _write(root / f"apps/{team}/{name}.yaml", _app_yaml(team, name, replicas))
        units.append(
            {
                "app": json.dumps({"name": name, "team": team, "id": f"{team}/{name}"}),
                "env": json.dumps(
                    {
                        "name": "bench",
                        "namespace": f"{team}-{name}",
                        "cluster": {"name": "bench-1", "kubernetesVersion": "1.31"},
                    }
                ),
                "params": json.dumps({"replicas": replicas, "retention": f"{7 + replicas}d"}),
            }
        )
    (units_path or root.parent / "direct-units.json").write_text(json.dumps(units))
    return units


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--apps", type=int, default=200)
    parser.add_argument("--units", type=Path, default=None)
    args = parser.parse_args()
    generate(args.root, args.apps, args.units)


if __name__ == "__main__":
    main()
