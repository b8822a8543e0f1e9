from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from comparison.management.preflight import require_redis
from comparison.models import BenchmarkRun
from tools.bench import Options, run_benchmark, run_cluster_benchmark, summary, write_report
from tools.stats import format_ratio


class Command(BaseCommand):
    help = (
        "Benchmark every lane: throughput in paired, interleaved rounds, the sides of each "
        "comparison taking turns in short runs of requests, with an A/A noise band; warm "
        "auth-step cost against its floor and its stock peer (pyperf); "
        "capacity; dashboard render time. Prints medians with 95% intervals, stores the report."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = Options()
        parser.add_argument(
            "--quick",
            action="store_true",
            help="a quick look: 3 rounds of 1 s, one pyperf pass, 10 paired rounds, 200k requests",
        )
        parser.add_argument("--rounds", type=int, help=f"paired rounds (default {defaults.rounds})")
        parser.add_argument("--seconds", type=int, help=f"per step (default {defaults.seconds})")
        parser.add_argument("--connections", type=int, help=f"default {defaults.connections}")
        parser.add_argument("--workers", type=int, help="gunicorn workers per copy (default 1)")
        parser.add_argument(
            "--micro-rounds",
            type=int,
            help=f"pyperf passes, each a bare and a probed process, for the µs figures (default "
            f"{defaults.micro_rounds})",
        )
        parser.add_argument(
            "--paired-rounds",
            type=int,
            help=f"rounds of each lane timed beside its floor and peer, for the ratios (default "
            f"{defaults.paired_rounds})",
        )
        parser.add_argument(
            "--dashboard-requests",
            type=int,
            help="synthetic requests behind the dashboard "
            f"(default {defaults.dashboard_requests:,})",
        )
        parser.add_argument(
            "--no-pin",
            dest="pin",
            action="store_false",
            help="leave processes wherever the scheduler puts them (default: the site and "
            "pyperf on CPU 0, the load and Redis on CPU 1)",
        )
        parser.add_argument(
            "--cluster",
            action="store_true",
            help="throughput through nginx with one and with two app instances instead",
        )
        parser.add_argument("--output", type=Path, default=None)

    def _progress(self, line: str) -> None:
        self.stdout.write(f"  {line}")
        self.stdout.flush()

    def handle(self, *args: object, **options: Any) -> None:
        chosen = {
            name: options[name]
            for name in (
                "rounds",
                "seconds",
                "connections",
                "workers",
                "micro_rounds",
                "paired_rounds",
                "dashboard_requests",
            )
            if options[name] is not None
        }
        if not options["pin"]:
            chosen["pin"] = False
        if options["cluster"]:
            self._cluster(options, chosen)
            return
        require_redis(make_target="bench")
        bench_options = Options.quick_look(**chosen) if options["quick"] else Options(**chosen)
        try:
            report = run_benchmark(options=bench_options, progress=self._progress)
        except (RuntimeError, ValueError) as e:
            raise CommandError(str(e)) from e
        for line in summary(report):
            self.stdout.write(line)
        output: Path = options["output"] or settings.BASE_DIR / "reports" / "authbench.json"
        write_report(report, output)
        run = BenchmarkRun.objects.create(report=report)
        self.stdout.write(self.style.SUCCESS(f"\nReport written to {output} and stored as {run}."))

    def _cluster(self, options: dict[str, Any], chosen: dict[str, Any]) -> None:
        try:
            report = run_cluster_benchmark(
                rounds=chosen.get("rounds", 3 if options["quick"] else 10),
                seconds=chosen.get("seconds", 1 if options["quick"] else 3),
                connections=chosen.get("connections", 8),
                progress=self._progress,
            )
        except RuntimeError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"\nRatios: {report['method']}.")
        self.stdout.write(f"{'lane':<10} {'1 instance':>11} {'2 instances':>12}  2 / 1")
        for row in report["lanes"]:
            self.stdout.write(
                f"{row['lane']:<10} {row['rps_one']:>11.0f} {row['rps_two']:>12.0f}  "
                f"{format_ratio(row['ratio'])}"
            )
        output: Path = options["output"] or settings.BASE_DIR / "reports" / "authbench-cluster.json"
        write_report(report, output)
        self.stdout.write(self.style.SUCCESS(f"Report written to {output}."))
