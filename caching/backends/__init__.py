"""The cache levels as Django cache backends (CACHES entries), one module each:

- `local.LocalBackend`: L1 only, this process's memory;
- `redis.RedisBackend`: L2 only, Redis standalone or Cluster;
- `tiered.TieredBackend`: L1 over L2, L1 kept coherent across processes.

    CACHES = {"tiered": {"BACKEND": "caching.backends.tiered.TieredBackend",
                         "LOCATION": "redis://127.0.0.1:6390/3", "OPTIONS": {"L1_TIMEOUT": 5}}}
"""
