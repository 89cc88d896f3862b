"""The cache layer's view of runtime configs: L1 only (the source is Redis already), 5 s."""
from caching import DataType, register

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
