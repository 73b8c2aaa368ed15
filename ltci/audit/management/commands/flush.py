"""Django's `flush`, with the audit trail's guards lifted for it and put back after it.

The test runner empties the database with `flush` after every transactional test (DELETE on
SQLite, TRUNCATE on PostgreSQL), which the trail's triggers refuse; an operator's `ltci manage
flush` empties everything too (on PostgreSQL only the tables' owner can). Nothing else lifts them."""

from django.core.management.commands.flush import Command as Flush
from django.db import connections, transaction

from ...triggers import lifted_for_flush


class Command(Flush):
    def handle(self, **options):
        database = options["database"]
        with transaction.atomic(using=database), lifted_for_flush(connections[database]):
            return super().handle(**options)
