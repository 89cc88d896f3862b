"""The cache layer's view of runtime configs: L1 only (the source is Redis already), 5 s; public configs
kept 10 s at the edge; the S3 event endpoint never."""
from caching import DataType, edge, register

from .services import load_config

RUNTIME_CONFIG = register(DataType(
    name="runtime_config",  # a config's stored document, by name (`feature-flags`)
    loader=load_config,
    serializer="json",
    ttl=5,
    jitter=0,
    l1_ttl=5,
    levels=("l1",),
))

CONFIG_EDGE = edge.public("/api/v1/config/{name}/", max_age=10, s_maxage=10)
edge.private("/api/v1/config-sync/*")
