"""Products carry their department (the category's top-level ancestor), and every listing
has an index in its own order: scope (all, department, category), is_active, order, id."""
import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F


def fill_departments(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    Product = apps.get_model("catalog", "Product")
    Product.objects.filter(category__parent__isnull=True).update(department_id=F("category_id"))
    for category_id, parent_id in Category.objects.filter(parent__isnull=False).values_list("id", "parent_id"):
        Product.objects.filter(category_id=category_id).update(department_id=parent_id)


def listing_indexes():
    for scope, scope_name in (((), "all"), (("department",), "dep"), (("category",), "cat")):
        for order, order_name in ((("price",), "price"), (("name",), "name"), (("created_at",), "created"),
                                  ((), "id")):
            if scope or order:
                yield migrations.AddIndex(
                    model_name="product",
                    index=models.Index(fields=[*scope, "is_active", *order, "id"],
                                       name=f"product_{scope_name}_{order_name}"),
                )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_product_fulltext")]

    operations = [
        migrations.AddField(
            model_name="product", name="department",
            field=models.ForeignKey(null=True, db_index=False, editable=False,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.category"),
        ),
        migrations.RunPython(fill_departments, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="product", name="department",
            field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="catalog.category"),
        ),
        migrations.RemoveIndex(model_name="product", name="product_cat_active_price"),
        migrations.RemoveIndex(model_name="product", name="product_cat_active_name"),
        migrations.RemoveIndex(model_name="product", name="product_active_price"),
        migrations.RemoveIndex(model_name="product", name="product_active_name"),
        migrations.RemoveIndex(model_name="product", name="product_active_created"),
        *listing_indexes(),
        migrations.AddIndex(model_name="product", index=models.Index(fields=["updated_at"], name="product_updated")),
    ]
