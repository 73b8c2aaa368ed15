from django.core.management.base import BaseCommand, CommandError

from ltci.audit.models import Action
from ltci.audit.recorder import record
from ltci.core.backup import BackupError, describe, migration_gap, restore
from ltci.core.context import Actor, acting


class Command(BaseCommand):
    help = ("Restores a backup made by `ltci backup` into the configured database: refuses a file that does not "
            "match its manifest's sha256, and a database that already holds data unless --force; then compares "
            "every table's rows with the manifest.")

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="ltci-<stamp>.sqlite3 or ltci-<stamp>.dump (its .json beside it)")
        parser.add_argument("--force", action="store_true",
                            help="overwrite a database that already holds data (all of it is replaced)")

    def handle(self, *args, file, force, **options):
        with acting(Actor(name="数据库恢复（命令行）", channel="cli")):
            try:
                done = restore(file, force=force)
            except BackupError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"已恢复：{done.path}（用时 {done.seconds:.1f} 秒）")
            self.stdout.write(f"  {describe(done.manifest)}")
            if done.mismatches:
                for line in done.mismatches:
                    self.stdout.write(f"  ✗ {line}")
                raise CommandError(f"恢复后 {len(done.mismatches)} 张表的行数与备份清单不符", returncode=1)
            # On the restored database's trail, once it is known to be whole: the chain shows the restore.
            record(Action.IMPORT, object_type_="database", object_id=done.path.name,
                   object_repr=f"从备份恢复数据库 {done.path.name}",
                   detail={"file": str(done.path), "sha256": done.manifest["sha256"],
                           "made_at": done.manifest.get("made_at"), "rows": done.manifest.get("rows"),
                           "forced": force})
        self.stdout.write(f"  {len(done.manifest['tables'])} 张表的行数与备份清单一致；"
                          "可运行 ltci ledger check 与 ltci audit verify 核对")
        behind, unknown = migration_gap(done.manifest)
        if unknown:
            self.stdout.write(f"  注意：备份含当前代码没有的迁移 {len(unknown)} 个（如 {unknown[0]}）：它来自更新的版本，"
                              "请用该版本的平台运行")
        elif behind:
            self.stdout.write(f"  备份比当前代码少 {len(behind)} 个迁移（如 {behind[0]}）：请运行 ltci migrate")
