"""Small models of the cache layer's own tests: the layer knows no shop model."""
from django.db import models


class Shelf(models.Model):
    name = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.name


class Widget(models.Model):
    name = models.CharField(max_length=50)
    price = models.IntegerField(default=0)
    shelf = models.ForeignKey(Shelf, null=True, on_delete=models.SET_NULL, related_name="widgets")
    tags = models.ManyToManyField(Tag, blank=True)
    version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name
