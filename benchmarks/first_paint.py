"""Time from launching `tutor` in a terminal to the app's first paint, and to a key echo.

Each run starts the real `tutor` console script in a pseudo-terminal (100x30, Ollama
unreachable), reads the terminal output until the header (with its screen keys) appears
(first paint), types a few letters and waits for them to show in the question box while
the models are still loading (key echo), then quits with Ctrl+Q.
Target: first paint <= 1 s.

Usage: python benchmarks/first_paint.py [--runs N] [--data-dir DIR] [--json]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

TITLE = b"F3 Quiz"
TYPED = "xyzzy"
TIMEOUT = 30.0


def read_until(fd: int, wanted: bytes, started: float, buffer: bytearray) -> float:
    """Read the terminal until `wanted` shows; seconds since `started`."""
    while wanted not in buffer:
        if time.perf_counter() - started > TIMEOUT:
            raise TimeoutError(f"{wanted!r} did not appear in {TIMEOUT:.0f} s")
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                buffer += os.read(fd, 65536)
            except OSError:
                break
    return time.perf_counter() - started


def one_run(tutor: str, env: dict[str, str]) -> tuple[float, float]:
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    started = time.perf_counter()
    process = subprocess.Popen(
        [tutor], stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True
    )
    os.close(follower)
    buffer = bytearray()
    try:
        paint = read_until(leader, TITLE, started, buffer)
        typed_at = time.perf_counter()
        os.write(leader, TYPED.encode())
        echo = read_until(leader, TYPED.encode(), typed_at, buffer)
        os.write(leader, b"\x11")  # Ctrl+Q
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    return paint, echo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, help="an indexed data dir (default: a fresh one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    tutor = shutil.which("tutor", path=str(Path(sys.executable).parent)) or "tutor"
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "TUTOR_DATA_DIR": str(args.data_dir or Path(scratch) / "data"),
            "TUTOR_CONFIG_FILE": str(Path(scratch) / "config.toml"),
            "OLLAMA_HOST": "127.0.0.1:9",
            "HF_HUB_OFFLINE": "1",
        }
        one_run(tutor, env)  # warm the OS file cache, as a learner's second launch is
        runs = [one_run(tutor, env) for _ in range(args.runs)]
    paints = [paint for paint, _ in runs]
    echoes = [echo for _, echo in runs]
    figures = {
        "runs": args.runs,
        "first_paint_s": {"median": statistics.median(paints), "max": max(paints)},
        "key_echo_while_loading_ms": {
            "median": statistics.median(echoes) * 1000,
            "max": max(echoes) * 1000,
        },
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"first paint over {args.runs} launches: median {statistics.median(paints):.2f} s, "
        f"max {max(paints):.2f} s (target <= 1 s)"
    )
    echo_ms = figures["key_echo_while_loading_ms"]
    print(
        f"key echo while the models load: median {echo_ms['median']:.0f} ms, "
        f"max {echo_ms['max']:.0f} ms"
    )


if __name__ == "__main__":
    main()
