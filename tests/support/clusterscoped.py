"""A blueprint `platform` that renders one cluster-scoped object of every kind midway's
docs promise to handle, plus one namespaced ConfigMap (so its app has both directories).

Names derive from `env.namespace` (unique per test in SyncConfigRepo), so tests sharing the
one test cluster never touch each other's cluster-scoped objects:

    CustomResourceDefinition          widgets.<ns>.example.com
    ClusterRole, ClusterRoleBinding   <ns>-reader
    Namespace                         <ns>-extra
    PriorityClass                     <ns>-low
    StorageClass                      <ns>-slow
    Validating/MutatingWebhookConfiguration   <ns>-check / <ns>-mutate (rules match only the
                                      test's own CRD group; failurePolicy Ignore)

Params: `kinds` (which of them, default all), `allowPrune` (kinds annotated
`midway.dev/prune: allow`), `verbs` (the ClusterRole's verbs), `configMap` (default true).
"""

from __future__ import annotations

from pathlib import Path

KINDS = (
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "Namespace",
    "PriorityClass",
    "StorageClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
)

PLATFORM_BLUEPRINT = """\
apiVersion: midway.dev/v1
kind: Blueprint
metadata: {name: platform}
spec:
  version: 1.0.0
  description: One cluster-scoped object of each common kind (cluster-scoped tests)
  parameters:
    type: object
    additionalProperties: false
    properties:
      kinds:
        type: array
        items: {type: string}
        default: [KINDS]
        description: which cluster-scoped objects to render
      allowPrune:
        type: array
        items: {type: string}
        default: []
        description: kinds annotated midway.dev/prune=allow
      verbs:
        type: array
        items: {type: string}
        default: [get, list]
        description: the ClusterRole's verbs
      configMap: {type: boolean, default: true, description: also a namespaced ConfigMap}
      logLevel: {type: string, description: env-wide log level (unused)}
""".replace("KINDS", ", ".join(KINDS))

PLATFORM_MAIN = """\
function(app, env, params)
  local base = env.namespace;
  local group = base + '.example.com';
  local webhook(name) = {
    name: name + '.' + group,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy: 'Ignore',
    clientConfig: {url: 'https://127.0.0.1:9/' + name},
    rules: [{
      apiGroups: [group], apiVersions: ['v1'], operations: ['CREATE'],
      resources: ['widgets'], scope: '*',
    }],
  };
  local all = {
    CustomResourceDefinition: {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: {name: 'widgets.' + group},
      spec: {
        group: group,
        names: {kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget'},
        scope: 'Namespaced',
        versions: [{
          name: 'v1', served: true, storage: true,
          schema: {openAPIV3Schema: {
            type: 'object',
            properties: {spec: {type: 'object', properties: {size: {type: 'integer'}}}},
          }},
        }],
      },
    },
    ClusterRole: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: {name: base + '-reader'},
      rules: [{apiGroups: [group], resources: ['widgets'], verbs: params.verbs}],
    },
    ClusterRoleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: {name: base + '-reader'},
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: base + '-reader'},
      subjects: [{apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: base + '-readers'}],
    },
    Namespace: {apiVersion: 'v1', kind: 'Namespace', metadata: {name: base + '-extra'}},
    PriorityClass: {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: {name: base + '-low'},
      value: 1000,
      description: 'batch work of ' + app.id,
    },
    StorageClass: {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {name: base + '-slow'},
      provisioner: 'example.com/none',
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
    },
    ValidatingWebhookConfiguration: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: {name: base + '-check'},
      webhooks: [webhook('check')],
    },
    MutatingWebhookConfiguration: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: {name: base + '-mutate'},
      webhooks: [webhook('mutate')],
    },
  };
  local allow(kind) =
    if std.member(params.allowPrune, kind)
    then {metadata+: {annotations+: {'midway.dev/prune': 'allow'}}}
    else {};
  [all[k] + allow(k) for k in params.kinds]
  + (if params.configMap
     then [{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: app.name + '-cfg'}, data: {}}]
     else [])
"""


def cluster_scoped_names(namespace: str) -> dict[str, str]:
    """kind -> name of the object the blueprint renders for an app in `namespace`."""
    return {
        "CustomResourceDefinition": f"widgets.{namespace}.example.com",
        "ClusterRole": f"{namespace}-reader",
        "ClusterRoleBinding": f"{namespace}-reader",
        "Namespace": f"{namespace}-extra",
        "PriorityClass": f"{namespace}-low",
        "StorageClass": f"{namespace}-slow",
        "ValidatingWebhookConfiguration": f"{namespace}-check",
        "MutatingWebhookConfiguration": f"{namespace}-mutate",
    }


def install_platform_blueprint(root: Path) -> None:
    directory = root / "blueprints" / "platform"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "blueprint.yaml").write_text(PLATFORM_BLUEPRINT)
    (directory / "main.jsonnet").write_text(PLATFORM_MAIN)


def platform_app(name: str, team: str, envs: list[str], params: str = "{}") -> str:
    environments = "".join(f"    {e}: {{}}\n" for e in envs)
    return (
        "apiVersion: midway.dev/v1\nkind: App\n"
        f"metadata: {{name: {name}, team: {team}}}\n"
        f"spec:\n  blueprint: platform@^1\n  params: {params}\n  environments:\n{environments}"
    )
