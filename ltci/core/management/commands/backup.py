from django.core.management.base import BaseCommand, CommandError

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.core.backup import BackupError, backup, describe
from ltci.core.context import Actor, acting


class Command(BaseCommand):
    help = ("Backs the database up into DIR: SQLite's online backup (ltci-<stamp>.sqlite3, integrity-checked) or "
            "pg_dump's custom format (ltci-<stamp>.dump), each with a manifest (<file>.json: migrations, rows per "
            "table, sha256).")

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", help="where to write the backup (made if missing)")

    def handle(self, *args, directory, **options):
        with acting(Actor(name="数据库备份（命令行）", channel="cli")):
            try:
                done = backup(directory)
            except BackupError as exc:
                raise CommandError(str(exc)) from None
            manifest = done.manifest
            # On the backed-up database's trail, after the copy: the file does not hold its own record.
            record(Action.EXPORT, object_type_="database", object_id=done.path.name,
                   object_repr=f"数据库备份 {done.path.name}",
                   detail={"file": str(done.path), "sha256": manifest["sha256"], "bytes": manifest["bytes"],
                           "vendor": manifest["vendor"], "rows": manifest["rows"]})
        self.stdout.write(f"已备份：{done.path}（{manifest['bytes'] / 1e6:.1f} MB，用时 {done.seconds:.1f} 秒）")
        self.stdout.write(f"  {describe(manifest)}")
        self.stdout.write(f"  清单：{done.path.name}.json，SHA-256 {manifest['sha256']}")
