"""Which Kubernetes versions serve which API versions: the deprecated API migration guide as
data (https://kubernetes.io/docs/reference/using-api/deprecation-guide/).

A blueprint that emits `batch/v1beta1 CronJob` for a 1.25 cluster renders and passes review,
then fails at apply. With the destination's `kubernetesVersion` known at render time, an API
version that version does not serve is a render/check error naming the version to use.
Only built-in APIs are listed; anything else (CRDs) is the server's business.
"""

from __future__ import annotations

from dataclasses import dataclass

Minor = tuple[int, int]


@dataclass(frozen=True)
class Served:
    """`api_version` `kind` is served from `since` (None: long before any supported
    version) until `removed` (None: still served); `use` replaces it outside that range."""

    api_version: str
    kind: str
    since: Minor | None
    removed: Minor | None
    use: str


def _rows(
    api_version: str, kinds: str, since: Minor | None, removed: Minor | None, use: str
) -> list[Served]:
    return [Served(api_version, k, since, removed, use) for k in kinds.split()]


_BEFORE_1_22 = (1, 22)
TABLE: tuple[Served, ...] = tuple(
    [
        # removed in 1.16
        *_rows("extensions/v1beta1", "Deployment DaemonSet ReplicaSet", None, (1, 16), "apps/v1"),
        *_rows("apps/v1beta1", "Deployment StatefulSet ReplicaSet", None, (1, 16), "apps/v1"),
        *_rows(
            "apps/v1beta2",
            "Deployment StatefulSet DaemonSet ReplicaSet",
            None,
            (1, 16),
            "apps/v1",
        ),
        *_rows("extensions/v1beta1", "NetworkPolicy", None, (1, 16), "networking.k8s.io/v1"),
        *_rows("extensions/v1beta1", "PodSecurityPolicy", None, (1, 16), "policy/v1beta1"),
        # removed in 1.22
        *_rows("extensions/v1beta1", "Ingress", None, _BEFORE_1_22, "networking.k8s.io/v1"),
        *_rows(
            "networking.k8s.io/v1beta1",
            "Ingress IngressClass",
            None,
            _BEFORE_1_22,
            "networking.k8s.io/v1",
        ),
        *_rows(
            "apiextensions.k8s.io/v1beta1",
            "CustomResourceDefinition",
            None,
            _BEFORE_1_22,
            "apiextensions.k8s.io/v1",
        ),
        *_rows(
            "admissionregistration.k8s.io/v1beta1",
            "MutatingWebhookConfiguration ValidatingWebhookConfiguration",
            None,
            _BEFORE_1_22,
            "admissionregistration.k8s.io/v1",
        ),
        *_rows(
            "apiregistration.k8s.io/v1beta1",
            "APIService",
            None,
            _BEFORE_1_22,
            "apiregistration.k8s.io/v1",
        ),
        *_rows(
            "rbac.authorization.k8s.io/v1beta1",
            "ClusterRole ClusterRoleBinding Role RoleBinding",
            None,
            _BEFORE_1_22,
            "rbac.authorization.k8s.io/v1",
        ),
        *_rows(
            "certificates.k8s.io/v1beta1",
            "CertificateSigningRequest",
            None,
            _BEFORE_1_22,
            "certificates.k8s.io/v1",
        ),
        *_rows(
            "coordination.k8s.io/v1beta1", "Lease", None, _BEFORE_1_22, "coordination.k8s.io/v1"
        ),
        *_rows(
            "scheduling.k8s.io/v1beta1", "PriorityClass", None, _BEFORE_1_22, "scheduling.k8s.io/v1"
        ),
        *_rows(
            "storage.k8s.io/v1beta1",
            "CSIDriver CSINode StorageClass VolumeAttachment",
            None,
            _BEFORE_1_22,
            "storage.k8s.io/v1",
        ),
        # removed in 1.25
        *_rows("batch/v1beta1", "CronJob", None, (1, 25), "batch/v1"),
        *_rows("discovery.k8s.io/v1beta1", "EndpointSlice", None, (1, 25), "discovery.k8s.io/v1"),
        *_rows("events.k8s.io/v1beta1", "Event", None, (1, 25), "events.k8s.io/v1"),
        *_rows("autoscaling/v2beta1", "HorizontalPodAutoscaler", None, (1, 25), "autoscaling/v2"),
        *_rows("policy/v1beta1", "PodDisruptionBudget", None, (1, 25), "policy/v1"),
        *_rows(
            "policy/v1beta1",
            "PodSecurityPolicy",
            None,
            (1, 25),
            "Pod Security Admission (namespace labels); PodSecurityPolicy has no successor",
        ),
        *_rows("node.k8s.io/v1beta1", "RuntimeClass", None, (1, 25), "node.k8s.io/v1"),
        # removed in 1.26, 1.27, 1.29, 1.32
        *_rows("autoscaling/v2beta2", "HorizontalPodAutoscaler", None, (1, 26), "autoscaling/v2"),
        *_rows(
            "flowcontrol.apiserver.k8s.io/v1beta1",
            "FlowSchema PriorityLevelConfiguration",
            None,
            (1, 26),
            "flowcontrol.apiserver.k8s.io/v1 (1.29+) or v1beta3 (1.26+)",
        ),
        *_rows("storage.k8s.io/v1beta1", "CSIStorageCapacity", None, (1, 27), "storage.k8s.io/v1"),
        *_rows(
            "flowcontrol.apiserver.k8s.io/v1beta2",
            "FlowSchema PriorityLevelConfiguration",
            None,
            (1, 29),
            "flowcontrol.apiserver.k8s.io/v1",
        ),
        *_rows(
            "flowcontrol.apiserver.k8s.io/v1beta3",
            "FlowSchema PriorityLevelConfiguration",
            (1, 26),
            (1, 32),
            "flowcontrol.apiserver.k8s.io/v1",
        ),
        # the replacements: not served before they went GA
        *_rows(
            "networking.k8s.io/v1",
            "Ingress IngressClass",
            (1, 19),
            None,
            "networking.k8s.io/v1beta1",
        ),
        *_rows(
            "certificates.k8s.io/v1",
            "CertificateSigningRequest",
            (1, 19),
            None,
            "certificates.k8s.io/v1beta1",
        ),
        *_rows("events.k8s.io/v1", "Event", (1, 19), None, "events.k8s.io/v1beta1"),
        *_rows("node.k8s.io/v1", "RuntimeClass", (1, 20), None, "node.k8s.io/v1beta1"),
        *_rows("batch/v1", "CronJob", (1, 21), None, "batch/v1beta1"),
        *_rows("policy/v1", "PodDisruptionBudget", (1, 21), None, "policy/v1beta1"),
        *_rows("discovery.k8s.io/v1", "EndpointSlice", (1, 21), None, "discovery.k8s.io/v1beta1"),
        *_rows("autoscaling/v2", "HorizontalPodAutoscaler", (1, 23), None, "autoscaling/v2beta2"),
        *_rows("storage.k8s.io/v1", "CSIStorageCapacity", (1, 24), None, "storage.k8s.io/v1beta1"),
        *_rows(
            "flowcontrol.apiserver.k8s.io/v1",
            "FlowSchema PriorityLevelConfiguration",
            (1, 29),
            None,
            "flowcontrol.apiserver.k8s.io/v1beta3",
        ),
    ]
)
_BY_KEY = {(row.api_version, row.kind): row for row in TABLE}

# Removed beta APIs whose fields are a subset of their GA successor's: for targets older than
# the oldest bundled schemas (which no longer have the beta), the successor's schema checks
# them. Others changed shape (HPA v2beta1 metrics, EndpointSlice topology) and stay unchecked.
SCHEMA_TWINS: dict[tuple[str, str], str] = {
    ("policy/v1beta1", "PodDisruptionBudget"): "policy/v1",
    ("batch/v1beta1", "CronJob"): "batch/v1",
    ("node.k8s.io/v1beta1", "RuntimeClass"): "node.k8s.io/v1",
}


def parse_minor(version: str) -> Minor:
    major, minor = version.lstrip("v").split(".")[:2]
    return int(major), int(minor)


def _text(minor: Minor) -> str:
    return f"{minor[0]}.{minor[1]}"


def unserved(api_version: str, kind: str, kubernetes_version: str) -> str | None:
    """Why Kubernetes `kubernetes_version` does not serve `api_version` `kind`; None when it
    does, or when the table does not know the pair."""
    row = _BY_KEY.get((api_version, kind))
    if row is None:
        return None
    target = parse_minor(kubernetes_version)
    if row.removed is not None and target >= row.removed:
        return (
            f"{api_version} {kind} is not served by Kubernetes {kubernetes_version} "
            f"(removed in {_text(row.removed)}); use {row.use}"
        )
    if row.since is not None and target < row.since:
        return (
            f"{api_version} {kind} is not served by Kubernetes {kubernetes_version} "
            f"(served from {_text(row.since)}); use {row.use}"
        )
    return None
