"""The CDN level (L4): changed public paths reach the CDN through a transactional outbox.

`outbox` records paths in the change's transaction, `drain` turns them into
invalidation requests (`batching` decides what one request holds), `base` is what a
CDN must offer and `cloudfront` is the one we use.
"""
