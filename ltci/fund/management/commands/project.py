import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ltci.policy.engine import add_engine_arguments, engine_for
from ltci.policy.errors import PolicyError
from ltci.policy.params import ParamsDataError
from ltci.projection.assumptions import AssumptionsError, load
from ltci.projection.model import project
from ltci.projection.report import table
from ltci.regions.models import Region

from ...drafts import draft_params
from ...projection_inputs import read_inputs


class Command(BaseCommand):
    help = ("Fund projection: `--region R --years 10 [--assumptions FILE] [--policy DRAFT.toml] [--runs N] [--out FILE.json]` "
            "projects the insured, contributions, disability, benefits, the balance and the cover ratio year by year "
            "(docs/decisions/0028).")

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True)
        parser.add_argument("--years", type=int, default=10)
        parser.add_argument("--runs", type=int, default=1, help="1: the central path; e.g. 1000 for P5–P95 bands")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--on", type=date.fromisoformat, help="the projection date (default today)")
        parser.add_argument("--assumptions", type=Path, help="a TOML file overriding assumptions, each with its source")
        parser.add_argument("--policy", type=Path, help="a draft parameter file replacing the version in force")
        parser.add_argument("--out", type=Path, help="write the full result as JSON")
        add_engine_arguments(parser)

    def handle(self, *args, region, years, runs, seed, on, assumptions, policy, out, engine, master, **options):
        reg = Region.objects.filter(pk=region).first()
        if reg is None:
            raise CommandError(f"unknown region {region!r}")
        if not 1 <= years <= 50 or not 1 <= runs <= 10_000:
            raise CommandError("--years must be 1..50 and --runs 1..10000")
        on = on or timezone.localdate()
        if policy and not policy.exists():
            raise CommandError(f"{policy}: no such file")
        try:
            inputs = read_inputs(region, on)
            chosen = load(region, assumptions)
            with engine_for(engine, master) as eng:
                if policy:
                    text = policy.read_text(encoding="utf-8")
                    with draft_params(region, on, text) as params_dir:
                        result = project(inputs, chosen, years=years, runs=runs, seed=seed, params_dir=params_dir,
                                         engine=eng)
                else:
                    result = project(inputs, chosen, years=years, runs=runs, seed=seed, engine=eng)
        except (AssumptionsError, PolicyError, ParamsDataError) as exc:
            raise CommandError(str(exc)) from None
        title = reg.name + ("（草案政策）" if policy else "")
        self.stdout.write(table(result, title))
        if out:
            out.write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=1, default=str), encoding="utf-8")
            self.stdout.write(f"已写入 {out}")
