"""Config stage: read a config repo (working tree or git revision) into the validated model."""
