"""The CDN level (L4): changed public paths reach the CDN through a transactional outbox.

`outbox` records paths in the change's transaction, once per edge (`edges`), `drain`
turns them into invalidation requests (`batching` decides what one request holds),
`base` is what a CDN must offer, `cloudfront` and `apigateway` (the stage cache) the
backends we use, `aws` what those two share.
"""
