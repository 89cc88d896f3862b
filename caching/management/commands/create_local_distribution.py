"""manage.py create_local_distribution: a CloudFront distribution at moto's server, for the local stack.

`make run` with CLOUDFRONT_DISTRIBUTION_ID=local starts moto's server and runs this;
the id it prints becomes CLOUDFRONT_DISTRIBUTION_ID. It refuses to run without
AWS_ENDPOINT_URL on loopback, so it never creates a distribution at AWS.
"""
import os
import time
from urllib.parse import urlsplit

import boto3
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create a CloudFront distribution at the local AWS endpoint (moto) and print its id."

    def add_arguments(self, parser):
        parser.add_argument("--origin", default="127.0.0.1", help="the origin's host name (the API)")

    def handle(self, *args, origin, **options):
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
        if urlsplit(endpoint).hostname not in ("127.0.0.1", "localhost"):
            raise CommandError("AWS_ENDPOINT_URL must name a loopback endpoint (moto's server)")
        client = boto3.client("cloudfront", region_name=os.environ.get("AWS_REGION", "us-east-1"))
        reply = client.create_distribution(DistributionConfig={
            "CallerReference": f"shop-local-{time.time_ns()}",
            "Origins": {"Quantity": 1, "Items": [{
                "Id": "api", "DomainName": origin,
                "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "api", "ViewerProtocolPolicy": "allow-all", "MinTTL": 0,
                                     "ForwardedValues": {"QueryString": True, "Cookies": {"Forward": "none"}}},
            "Comment": "shop local stack", "Enabled": True})
        self.stdout.write(reply["Distribution"]["Id"])
