"""`halo serve`: page weight and time to first answer.

Starts `halo serve RUN --port 0` on 127.0.0.1 and measures
- page weight: the bytes of `/` and `/v/<id>` with every script and stylesheet they load (the
  media itself excluded), in KB;
- time to first answer: from launching the process, and from the moment it listens, to the first
  `POST /api/ask` answer (the server opens the run's models in the background as it starts), then
  the mean of later questions on the open run, and the ratio first / later;
- the same later questions asked with `halo ask RUN QUESTION --json`, a fresh process each (what a
  terminal user pays), and the ratio later server answer / CLI answer.

    .venv/bin/python benchmarks/bench_serve.py                      # runs/lecture/lecture
    .venv/bin/python benchmarks/bench_serve.py --run runs/x/y --question "..." --question "..."

The run folder is made with `halo run pipelines/lecture.yaml` when it is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HALO = Path(sys.executable).with_name("halo")
QUESTIONS = [
    "Which enzyme unwinds the DNA double helix?",
    "Why are spring tides especially large?",
    "What did movable metal type change?",
    "Where is the tidal range more than 15 meters?",
    "What does polymerase do?",
]


def request(port: int, path: str, body: dict | None = None) -> tuple[int, bytes]:
    connection = HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    payload = json.dumps(body).encode() if body is not None else None
    connection.request("POST" if body is not None else "GET", path, payload, headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def page_weight(port: int, path: str) -> tuple[int, list[str]]:
    """Bytes of the page and of the scripts and stylesheets it loads; the assets' paths."""
    status, html = request(port, path)
    assert status == 200, (path, status)
    assets = sorted(set(re.findall(rb'(?:src|href)="(/static/[^"]+)"', html)))
    total = len(html)
    for asset in assets:
        status, data = request(port, asset.decode())
        assert status == 200, asset
        total += len(data)
    return total, [a.decode() for a in assets]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=ROOT / "runs" / "lecture" / "lecture")
    parser.add_argument("--question", action="append", dest="questions")
    args = parser.parse_args()
    questions = args.questions or QUESTIONS
    if not (args.run / "report.json").is_file():
        print(f"making {args.run} with halo run pipelines/lecture.yaml …", file=sys.stderr)
        subprocess.run([str(HALO), "-q", "run", "pipelines/lecture.yaml"], cwd=ROOT, check=True)

    launched = time.perf_counter()
    server = subprocess.Popen(
        [str(HALO), "serve", str(args.run), "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        listening = time.perf_counter()
        found = re.search(r"127\.0\.0\.1:(\d+)/", line)
        if not found:
            print(f"halo serve did not start: {line}{server.stderr.read()}", file=sys.stderr)
            return 1
        port = int(found.group(1))
        video = json.loads(request(port, "/api/videos")[1])[0]["id"]

        timings: list[tuple[str, float, str | None]] = []
        for question in questions:
            started = time.perf_counter()
            status, raw = request(port, "/api/ask", {"question": question, "video": video})
            if status != 200:
                print(f"ask failed ({status}): {raw.decode()}", file=sys.stderr)
                return 1
            timings.append((question, time.perf_counter() - started, json.loads(raw)["cache_tier"]))
        first_done = listening + timings[0][1]

        library_bytes, library_assets = page_weight(port, "/")
        video_bytes, video_assets = page_weight(port, f"/v/{video}")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)

    cli: list[float] = []
    for question, _, _ in timings[1:]:
        started = time.perf_counter()
        subprocess.run(
            [str(HALO), "ask", str(args.run), question, "--json"], capture_output=True, check=True
        )
        cli.append(time.perf_counter() - started)

    later = [t for _, t, _ in timings[1:]]
    mean_later = sum(later) / len(later) if later else float("nan")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"run: {args.run}  video: {video}  (load average {load} on {os.cpu_count()} CPUs)")
    print(f"page weight  /           {library_bytes / 1024:6.1f} KB  (HTML + {library_assets})")
    print(f"page weight  /v/{video:<9}{video_bytes / 1024:6.1f} KB  (HTML + {video_assets})")
    print(f"server listening after launch      {listening - launched:6.2f} s")
    print(f"first answer after launch          {first_done - launched:6.2f} s")
    print(f"first answer after listening       {timings[0][1]:6.2f} s")
    for question, seconds, tier in timings:
        print(f"  {seconds:6.2f} s  cache {tier or '-':4}  {question}")
    print(f"later answers, mean                {mean_later:6.2f} s")
    print(f"first / later answer               {timings[0][1] / mean_later:6.1f}x")
    mean_cli = sum(cli) / len(cli) if cli else float("nan")
    print(f"halo ask (new process each), mean  {mean_cli:6.2f} s")
    print(f"later server answer / halo ask     {mean_later / mean_cli:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
