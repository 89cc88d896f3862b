"""Search moves to the search index (catalog.search_index): the FULLTEXT index goes, and
deleted products are logged for the index to forget."""
from django.db import migrations, models

FULLTEXT = "product_fulltext"


def drop_fulltext(apps, schema_editor):
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(f"DROP INDEX {FULLTEXT} ON catalog_product")


def create_fulltext(apps, schema_editor):
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(f"CREATE FULLTEXT INDEX {FULLTEXT} ON catalog_product (name, description, sku)")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("catalog", "0003_department_and_listing_indexes")]

    operations = [
        migrations.RunPython(drop_fulltext, create_fulltext),
        migrations.CreateModel(
            name="SearchRemoval",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("product_id", models.BigIntegerField()),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
            ],
        ),
    ]
