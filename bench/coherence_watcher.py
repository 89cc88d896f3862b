"""Helper process of bench.micro: holds a key in L1 and reports when an invalidation removed it."""
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

import django  # noqa: E402

django.setup()

import caching  # noqa: E402
from caching import DataType, register  # noqa: E402
from caching.handler import get_layer  # noqa: E402


def main(product_id: int, samples: int) -> None:
    register(DataType(name="bench_l1", serializer="raw", ttl=3600, jitter=0, l1_ttl=3600))
    layer = get_layer()
    layer.bus.ensure_started()
    layer.bus.connected.wait(5)
    key = layer.registry.get("bench_l1").key(product_id)
    for _ in range(samples):
        while caching.fetch("bench_l1", product_id, lambda: b"payload").status != "HIT-L1":
            time.sleep(0.001)
        print("holding", flush=True)
        # Poll with a short sleep: a busy loop would hold the GIL the listener thread needs.
        while layer.l1.get(key) is not None:
            time.sleep(0.0001)
        print(time.time(), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
