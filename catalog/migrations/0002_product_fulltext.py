"""A FULLTEXT index for search on MySQL/MariaDB; other backends search without one."""
from django.db import migrations

INDEX = "product_fulltext"


def create_fulltext(apps, schema_editor):
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(f"CREATE FULLTEXT INDEX {INDEX} ON catalog_product (name, description, sku)")


def drop_fulltext(apps, schema_editor):
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(f"DROP INDEX {INDEX} ON catalog_product")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(create_fulltext, drop_fulltext)]
