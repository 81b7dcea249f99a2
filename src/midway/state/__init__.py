"""State stage: lay a render out as the state repo tree (manifests + ArgoCD objects), commit it
with pygit2 (through midway.gitrepo), and read it back for drift and sync."""
