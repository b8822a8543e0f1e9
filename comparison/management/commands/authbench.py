import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from comparison.management.preflight import require_redis
from comparison.models import BenchmarkRun
from tools.bench import run_benchmark, run_cluster_benchmark


class Command(BaseCommand):
    help = (
        "Benchmark every lane under gunicorn with wrk, recording on and off, interleaved; "
        "print medians and ratios, store the report for the dashboard."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seconds", type=int, default=5, help="per step")
        parser.add_argument("--rounds", type=int, default=3)
        parser.add_argument("--connections", type=int, default=4)
        parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per copy")
        parser.add_argument("--dashboard-requests", type=int, default=1_000_000)
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
        if options["cluster"]:
            self._cluster(options)
            return
        require_redis(make_target="bench")
        try:
            report = run_benchmark(
                seconds=options["seconds"],
                rounds=options["rounds"],
                connections=options["connections"],
                workers=options["workers"],
                dashboard_requests=options["dashboard_requests"],
                progress=self._progress,
            )
        except RuntimeError as e:
            raise CommandError(str(e)) from e
        self._print(report)
        output: Path = options["output"] or settings.BASE_DIR / "reports" / "authbench.json"
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, indent=2))
        run = BenchmarkRun.objects.create(report=report)
        self.stdout.write(self.style.SUCCESS(f"Report written to {output} and stored as {run}."))

    def _cluster(self, options: dict) -> None:
        try:
            report = run_cluster_benchmark(
                seconds=options["seconds"],
                rounds=options["rounds"],
                connections=options["connections"],
                progress=self._progress,
            )
        except RuntimeError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"\n{'lane':<14} {'1 instance':>11} {'2 instances':>12} {'2 / 1':>7}")
        for row in report["lanes"]:
            self.stdout.write(
                f"{row['lane']:<14} {row['rps_one']:>11.0f} {row['rps_two']:>12.0f} "
                f"{row['ratio']:>7.3f}"
            )
        output: Path = options["output"] or settings.BASE_DIR / "reports" / "authbench-cluster.json"
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, indent=2))
        self.stdout.write(self.style.SUCCESS(f"Report written to {output}."))

    def _print(self, report: dict) -> None:
        floors = report["floors"]
        self.stdout.write(
            f"\nFloors (median): Redis GET {floors['redis_get_us']:.1f} µs, "
            f"PyJWT HS256 verify {floors['pyjwt_verify_us']:.1f} µs, "
            f"user query {floors['user_query_us']:.1f} µs\n"
        )
        header = (
            f"{'lane':<14} {'req/s on':>9} {'req/s off':>9} {'on/off':>7} {'/base':>6} "
            f"{'p50 ms':>7} {'auth µs':>8} {'floor µs':>8} {'x floor':>7} {'target':>6}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))

        def fmt(value: float | None, spec: str) -> str:
            return "-" if value is None else format(value, spec)

        for row in report["lanes"]:
            self.stdout.write(
                f"{row['lane']:<14} {row['rps_on']:>9.0f} {row['rps_off']:>9.0f} "
                f"{row['on_off_ratio']:>7.3f} {fmt(row['baseline_ratio'], '>6.3f')} "
                f"{row['latency_p50_ms_on']:>7.2f} {fmt(row['auth_us'], '>8.1f')} "
                f"{fmt(row['floor_us'], '>8.1f')} {fmt(row['floor_ratio'], '>7.2f')} "
                f"{fmt(row['floor_target'], '>6.1f')}"
            )
        dashboard = report["dashboard"]
        self.stdout.write(
            f"\nDashboard: median render {dashboard['render_ms_median']:.1f} ms over "
            f"{dashboard['requests_behind']:,} recorded requests\n"
        )
