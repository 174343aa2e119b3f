"""How many live event streams one web process serves: idle listeners held, memory and threads they cost, and how
fast a published event reaches all of them.

Starts the product under uvicorn (one process) on a free local port, creates a fresh tenant named "SYNTHETIC
live-stream test" with one venue, opens listeners in steps up to --listeners (plain asyncio sockets: the client
costs little), and at each step publishes --events messages (each carrying its send time) and times their
arrival at every listener. The first step (one listener) is the baseline the others are compared with. The
synthetic tenant is deleted at the end.
"""

import asyncio
import json
import resource
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand

from analytics.benchmarking import free_port, server_start
from core.api_keys import api_key_create
from core.models import ApiKey, Tenant
from core.tenancy import all_tenants, tenant_scope
from ingest.live import message_publish
from venues.models import Venue


def _process_figures(pid: int) -> dict:
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {"rss_mb": round(int(status["VmRSS"].split()[0]) / 1024, 1), "threads": int(status["Threads"])}


class Listener:
    """One raw HTTP connection reading server-sent events: records how long each timed message took to arrive."""

    def __init__(self):
        self.delays: list[float] = []
        self.connected = asyncio.Event()
        self.task: asyncio.Task | None = None

    async def run(self, port: int, path: str, key: str) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Api-Key {key}\r\n"
                     "Accept: text/event-stream\r\n\r\n".encode())  # fmt: skip
        try:
            async for raw in reader:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event: occupancy"):
                    self.connected.set()
                elif line.startswith("data: ") and '"sent"' in line:
                    self.delays.append(time.time() - json.loads(line[6:])["sent"])
        finally:
            writer.close()


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--listeners", type=int, default=2000, help="Listeners at the last step")
        parser.add_argument("--events", type=int, default=20, help="Messages published at each step")
        parser.add_argument("--json", type=Path, dest="json_path")

    def handle(self, *args, listeners, events, json_path, **options):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # each listener is a socket at both ends
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 2 * listeners + 1000)), hard))
        tenant, venue, key = self._tenant()
        port = free_port()
        server = server_start(["uvicorn", "config.asgi:application", "--port", str(port), "--log-level", "warning",
                               "--timeout-keep-alive", "600"], port)  # fmt: skip
        try:
            steps = asyncio.run(self._steps(server.pid, port, venue, key, listeners, events))
        finally:
            server.terminate()
            server.wait(timeout=30)
            with all_tenants():
                tenant.delete()
        baseline = steps[0]
        self.stdout.write(f"SYNTHETIC messages to one venue; one uvicorn process, idle: {baseline['idle']}")
        for step in steps:
            step["p95_vs_one_listener"] = round(step["p95_ms"] / max(baseline["p95_ms"], 0.01), 1)
            self.stdout.write(
                f"  {step['listeners']:>6} listeners: p50 {step['p50_ms']:7.1f} ms, p95 {step['p95_ms']:7.1f} ms "
                f"({step['p95_vs_one_listener']}x one listener), delivered {step['delivered']:.3f}, "
                f"RSS {step['rss_mb']} MB, {step['threads']} threads"
                + (f", {step['kb_per_listener']} KB per added listener" if step["kb_per_listener"] is not None else "")
            )
        if json_path:
            json_path.write_text(json.dumps({"synthetic": True, "steps": steps}, indent=2))

    def _tenant(self):
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        tenant = Tenant.objects.create(name=f"SYNTHETIC live-stream test {stamp}", slug=f"synthetic-live-{stamp}")
        with tenant_scope(tenant):
            venue = Venue.objects.create(tenant=tenant, name="Synthetic store", time_zone="Europe/Paris")
            _, key = api_key_create(tenant=tenant, name="live-stream test", scope=ApiKey.Scope.READ)
        return tenant, venue, key

    async def _steps(self, pid, port, venue, key, most, events) -> list[dict]:
        path = f"/api/v1/venues/{venue.pk}/events/stream"
        idle = _process_figures(pid)
        sizes = sorted({1, *(n for n in (100, 500, 1000, 2000, 5000, 10000) if n < most), most})
        opened: list[Listener] = []
        steps = []
        for size in sizes:
            while len(opened) < size:
                batch = [Listener() for _ in range(min(200, size - len(opened)))]
                for listener in batch:
                    listener.task = asyncio.create_task(listener.run(port, path, key))
                await asyncio.wait_for(asyncio.gather(*(listener.connected.wait() for listener in batch)), 120)
                opened += batch
            await asyncio.sleep(2)  # settle: the figures are those of idle listeners
            held = _process_figures(pid)
            for listener in opened:
                listener.delays.clear()
            for n in range(events):
                await asyncio.to_thread(message_publish, venue.pk, {"type": "benchmark", "n": n, "sent": time.time()})
                await asyncio.sleep(0.05)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and sum(len(x.delays) for x in opened) < events * size:
                await asyncio.sleep(0.1)
            delays = sorted(d * 1000 for listener in opened for d in listener.delays)
            steps.append({
                "listeners": size, "idle": idle, "rss_mb": held["rss_mb"], "threads": held["threads"],
                "kb_per_listener": round((held["rss_mb"] - steps[0]["rss_mb"]) * 1024 / (size - 1), 1) if steps else None,
                "delivered": len(delays) / (events * size),
                "p50_ms": round(statistics.median(delays), 1) if delays else None,
                "p95_ms": round(delays[int(0.95 * (len(delays) - 1))], 1) if delays else None,
            })  # fmt: skip
        for listener in opened:
            listener.task.cancel()
        return steps
