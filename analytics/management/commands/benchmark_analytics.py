"""Ingest throughput through the HTTP API and analytics latency, on N synthetic events (clearly marked).

Starts the product under gunicorn on a free local port, creates a fresh tenant named "SYNTHETIC load test"
with one venue, posts the events in batches from several client threads, then times every analytics
endpoint over a 90-day range. The synthetic tenant is deleted at the end unless --keep.
"""

import http.client
import json
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand

from analytics.api import ANSWERS
from analytics.benchmarking import cpu_seconds, free_port, server_processes, server_start
from core.api_keys import api_key_create
from core.models import ApiKey, Tenant
from core.tenancy import all_tenants, tenant_scope
from ingest.models import PendingHour
from ingest.rollups import pending_hours_refresh_in_scope
from venues.models import Camera, CountingLine, Venue, Zone

BATCH = 2000


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=100_000)
        parser.add_argument(
            "--days", type=int, default=90,
            help="Days the events span: 10 M events over 90 days is the density (events per hour) of 1 M over 9",
        )  # fmt: skip
        parser.add_argument("--json", type=Path, dest="json_path")
        parser.add_argument("--clients", type=int, default=3, help="Concurrent posting threads")
        parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
        parser.add_argument("--requests", type=int, default=40, help="Requests per analytics endpoint")
        parser.add_argument("--keep", action="store_true", help="Keep the synthetic tenant afterwards")

    def handle(self, *args, events, days, json_path, clients, workers, requests, keep, **options):
        tenant, venue, key, geometry = self._tenant()
        port = free_port()
        server = self._serve(port, workers)
        try:
            stored, ingest = self._ingest(server, port, key, venue, geometry, events, days, clients)
            latencies = self._latencies(port, key, venue, days, requests)
        finally:
            server.terminate()
            server.wait(timeout=30)
            if not keep:
                with all_tenants():
                    tenant.delete()
        result = {
            "events": stored,
            "days": days,
            "synthetic": True,
            **ingest,
            "endpoints": latencies,
        }
        self.stdout.write(f"SYNTHETIC data: {stored:,} events over {days} days, posted in batches of {BATCH}")
        self.stdout.write(
            f"  server CPU per batch of {BATCH:,}: {ingest['server_cpu_ms_per_2000_events']:,} ms"
            " (web workers and PostgreSQL: Redis and the posting client are left out)"
        )
        self.stdout.write(
            f"  ingest through the HTTP API: {ingest['ingest_events_per_s']:,} events/s with the rollups rebuilt"
            f" ({ingest['answered_events_per_s']:,} events/s answered; then {ingest['hours_left_pending']} hours left"
            f" pending, rebuilt in {ingest['catch_up_seconds']} s)"
        )
        for name, figures in latencies.items():
            self.stdout.write(f"  {name:<17} p50 {figures['p50_ms']:7.1f} ms   p95 {figures['p95_ms']:7.1f} ms")
        if json_path:
            json_path.write_text(json.dumps(result, indent=2))

    def _tenant(self):
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        tenant = Tenant.objects.create(name=f"SYNTHETIC load test {stamp}", slug=f"synthetic-{stamp}")
        with tenant_scope(tenant):
            venue = Venue.objects.create(tenant=tenant, name="Synthetic store", time_zone="Europe/Paris")
            camera = Camera.objects.create(venue=venue, name="Floor")
            square = [[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]]
            zones = [Zone.objects.create(camera=camera, name=f"Aisle {n}", polygon=square) for n in range(3)]
            queue = Zone.objects.create(camera=camera, name="Queue", kind="queue", polygon=square)
            line = CountingLine.objects.create(camera=camera, name="Door", points=[[0.5, 0], [0.5, 1]])
            _, key = api_key_create(tenant=tenant, name="load test", scope=ApiKey.Scope.FULL)  # sends, then reads
        return tenant, venue, key, {"zones": [z.pk for z in zones], "queue": queue.pk, "line": line.pk}

    def _serve(self, port: int, workers: int):
        arguments = ["gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers), "--log-level", "warning",
                     "--timeout", "120"]  # fmt: skip
        return server_start(arguments, port)

    def _batches(self, geometry, total: int, days: int):
        """Visits of 8 events each, in time order as a device sends them, over the last `days` days: open 9:00-21:00
        local, busier at lunch and on Saturdays."""
        rng = random.Random(7)
        first = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days)
        hours = [first + timedelta(days=d, hours=h) for d in range(days) for h in range(8, 20)]  # UTC+1: 9-21 local
        weights = [(1.6 if hour.weekday() == 5 else 1.0) * (1.5 if 11 <= hour.hour <= 13 else 1.0) for hour in hours]
        scale = total / 8 / sum(weights)
        batch, n = [], 0
        for hour, weight in zip(hours, weights, strict=True):
            for start in sorted(rng.uniform(0, 3600) for _ in range(round(weight * scale))):
                at = hour + timedelta(seconds=start)
                stay = rng.expovariate(1 / 600)
                visit, zone = f"s{n}", rng.choice(geometry["zones"])

                def iso(seconds, start=at):
                    return (start + timedelta(seconds=seconds)).isoformat()

                batch += [
                    {"id": f"{visit}v", "type": "visit", "visit": visit, "at": iso(0), "ended_at": iso(stay),
                     "engagement": {"score": rng.randrange(101), "behaviour": rng.choice(["engaged", "browsing", "passing"])}},
                    {"id": f"{visit}i", "type": "line_crossed", "visit": visit, "at": iso(1), "line": geometry["line"], "direction": "in"},
                    {"id": f"{visit}e", "type": "zone_entered", "visit": visit, "at": iso(30), "zone": zone},
                    {"id": f"{visit}x", "type": "zone_exited", "visit": visit, "at": iso(30 + stay / 2), "zone": zone,
                     "entered_at": iso(30)},
                    {"id": f"{visit}q", "type": "queue_joined", "visit": visit, "at": iso(stay * 0.7), "zone": geometry["queue"]},
                    {"id": f"{visit}s", "type": rng.choice(["queue_served", "queue_abandoned"]), "visit": visit,
                     "at": iso(stay * 0.8), "zone": geometry["queue"], "joined_at": iso(stay * 0.7)},
                    {"id": f"{visit}o", "type": "line_crossed", "visit": visit, "at": iso(stay), "line": geometry["line"], "direction": "out"},
                    {"id": f"{visit}z", "type": "zone_entered", "visit": visit, "at": iso(stay * 0.9), "zone": zone},
                ]  # fmt: skip
                n += 1
                if len(batch) >= BATCH:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def _ingest(self, server, port, key, venue, geometry, total, days, clients) -> tuple[int, dict]:
        """Events stored, the rate until every write was answered and its rollups rebuilt, and the server's CPU time
        per batch (web workers and PostgreSQL, whatever else runs on the machine)."""
        headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
        bodies = [
            json.dumps({"device": "synthetic", "venue": venue.pk, "events": b})
            for b in self._batches(geometry, total, days)
        ]
        local = threading.local()
        posted = []

        def post(body):
            if not hasattr(local, "conn"):
                local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            local.conn.request("POST", "/api/v1/events", body, headers)
            response = local.conn.getresponse()
            content = response.read()
            if response.status != 200:
                raise RuntimeError(f"ingest answered {response.status}: {content[:500]!r}")
            posted.append(json.loads(content)["accepted"])

        processes = server_processes(server)  # its web workers and PostgreSQL's
        cpu = cpu_seconds(processes)
        clock = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(post, bodies))
        answered = time.perf_counter() - clock
        with tenant_scope(venue.tenant):  # what the writers left pending, rebuilt as the next reader would
            left = PendingHour.objects.count()
            pending_hours_refresh_in_scope()
        seconds = time.perf_counter() - clock
        cpu = cpu_seconds(processes) - cpu
        return sum(posted), {
            "server_cpu_ms_per_2000_events": round(cpu * 1000 * 2000 / sum(posted), 1),
            "ingest_events_per_s": round(sum(posted) / seconds),
            "answered_events_per_s": round(sum(posted) / answered),
            "hours_left_pending": left,
            "catch_up_seconds": round(seconds - answered, 2),
        }

    def _latencies(self, port, key, venue, days, count) -> dict:
        headers = {"Authorization": f"Api-Key {key}"}
        today = datetime.now(UTC).date()
        query = f"?from={today - timedelta(days=days - 1)}&to={today}"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        figures = {}
        urls = {name: f"/api/v1/venues/{venue.pk}/analytics/{name}/{query}" for name in ANSWERS}
        urls["venue comparison"] = f"/api/v1/analytics/venues/{query}"
        urls["events list"] = f"/api/v1/venues/{venue.pk}/events/{query}&type=visit"
        for name, url in urls.items():
            times = []
            for _ in range(count + 2):
                clock = time.perf_counter()
                conn.request("GET", url, headers=headers)
                response = conn.getresponse()
                response.read()
                times.append((time.perf_counter() - clock) * 1000)
                assert response.status == 200, (name, response.status)
            times = sorted(times[2:])  # the first requests warm the worker
            figures[name] = {"p50_ms": round(statistics.median(times), 1),
                             "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1)}  # fmt: skip
        return figures
