"""Runtime configuration synced from S3 into Redis (feature flags, shipping rates, promotions)."""
