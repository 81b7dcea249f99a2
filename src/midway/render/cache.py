"""The render stage's view of the shared content-addressed cache (see midway.cache)."""

from midway.cache import Cache, default_cache_dir

__all__ = ["Cache", "default_cache_dir"]
