"""midway: the missing middle between a developer portal and raw infrastructure code."""

__version__ = "0.1.0"
