"""`midway init`: the files of a new config repo — midway.yaml, one blueprint, environments dev
and prod, one app — small enough to read in a minute, and passing `midway check` as written."""

from __future__ import annotations

from midway.authoring.editor_schemas import modeline

MIDWAY_YAML = """\
{modeline}
apiVersion: midway.dev/v1
kind: Settings
spec:
  kubernetesVersion: "1.31"        # the Kubernetes version manifests are validated against
  state:
    path: .midway/state.git        # where `midway publish` commits the rendered state
    branch: main
"""

BLUEPRINT_YAML = """\
{modeline}
apiVersion: midway.dev/v1
kind: Blueprint
metadata:
  name: web-service
spec:
  version: 1.0.0
  description: >-
    Stateless HTTP service: a Deployment behind a ClusterIP Service.
  parameters:
    type: object
    additionalProperties: false
    required: [image]
    properties:
      image:
        description: Container image with an explicit tag, e.g. ghcr.io/acme/hello:1.0.0.
        type: string
        pattern: "^[a-z0-9][a-z0-9._/:-]*:[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}$"
      replicas:
        description: Number of pods.
        type: integer
        minimum: 1
        maximum: 50
        default: 1
      port:
        description: Port the container listens on for HTTP.
        type: integer
        minimum: 1024
        maximum: 65535
        default: 8080
  examples:
    - name: minimal
      description: the smallest valid request
      params:
        image: ghcr.io/acme/hello:1.0.0
"""

MAIN_JSONNET = """\
// web-service 1.0: a Deployment and a Service. midway sets namespaces and ownership labels.
function(app, env, params)
  local selector = { 'app.kubernetes.io/name': app.name };
  [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app.name },
      spec: {
        replicas: params.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: selector },
          spec: {
            containers: [{
              name: app.name,
              image: params.image,
              ports: [{ name: 'http', containerPort: params.port, protocol: 'TCP' }],
            }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: app.name },
      spec: {
        selector: selector,
        ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      },
    },
  ]
"""

ENVIRONMENT_YAML = """\
{modeline}
apiVersion: midway.dev/v1
kind: Environment
metadata:
  name: {name}
spec:
  order: {order}                         # promotion order: dev before prod
  clusters:
    - name: {name}-1
      server: https://{name}.k8s.example.com:6443   # the cluster's API server
      kubernetesVersion: "1.31"
  namespace: "{{team}}-{{app}}"
  policy:
    drift: {drift}
    prune: {prune}
"""

APP_YAML = """\
{modeline}
apiVersion: midway.dev/v1
kind: App
metadata:
  name: hello
  team: demo
spec:
  blueprint: web-service@^1
  params:
    image: ghcr.io/acme/hello:1.0.0
  environments:
    dev: {{}}
    prod:
      params:
        replicas: 2
"""

GITIGNORE = """\
# midway's local files: the state repo `midway publish` writes, editor schemas, caches
.midway/
"""


def starter_files() -> dict[str, bytes]:
    """Repo-relative path -> content, in the order they are written."""
    files = {
        "midway.yaml": MIDWAY_YAML.format(modeline=modeline("Settings", "midway.yaml")),
        "blueprints/web-service/blueprint.yaml": BLUEPRINT_YAML.format(
            modeline=modeline("Blueprint", "blueprints/web-service/blueprint.yaml")
        ),
        "blueprints/web-service/main.jsonnet": MAIN_JSONNET,
        "environments/dev.yaml": ENVIRONMENT_YAML.format(
            modeline=modeline("Environment", "environments/dev.yaml"),
            name="dev",
            order=1,
            drift="warn",
            prune="true",
        ),
        "environments/prod.yaml": ENVIRONMENT_YAML.format(
            modeline=modeline("Environment", "environments/prod.yaml"),
            name="prod",
            order=2,
            drift="correct",
            prune="false",
        ),
        "apps/demo/hello.yaml": APP_YAML.format(modeline=modeline("App", "apps/demo/hello.yaml")),
        ".gitignore": GITIGNORE,
    }
    return {path: text.encode() for path, text in files.items()}
