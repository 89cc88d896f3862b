"""Project-level Celery tasks."""
from celery import shared_task
from django.db import connection


@shared_task(name="shop.ping")
def ping() -> dict:
    """Prove a worker is alive and reaches the database: answers with its DB vendor."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"pong": True, "database": connection.vendor}
