"""Benchmark suite: client-side cost of this package against raw httpx and the usual clients.

    make bench                        # = python benchmarks/run.py
    python benchmarks/run.py --quick  # fewer runs and calls: a smoke run of a minute or two
    python benchmarks/run.py --help

Standard library only (any python3 runs it). It starts nginx with canned answers on a loopback
port, creates the peers virtualenv ``benchmarks/.venv-peers`` if missing, measures every client
in fresh processes (wall, user+sys CPU and peak RSS from the child's wait4 rusage; interleaved
with raw httpx doing the same work), runs the in-process probes, prints the tables and writes
``benchmarks/results/latest.md`` and ``latest.json``. See ``benchmarks/README.md`` for the method.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / ".work"
VENV = BENCH / ".venv-peers"
RESULTS = BENCH / "results"
CLIENTS = BENCH / "clients"
PROBES = BENCH / "probes"

PEER_PACKAGES = ["openai", "langchain-openai", "llama-index-llms-openai-like",
                 "llama-index-embeddings-openai-like"]
VERSION_OF = ["httpx", "pydantic", "openai", "langchain-core", "langchain-openai",
              "llama-index-core", "llama-index-llms-openai-like",
              "llama-index-embeddings-openai-like", "numpy", "litellm", "ai-gateway-kit"]

EXIT_MISMATCH, EXIT_NOT_BUILT = 1, 3

# client id -> (label in the tables, label per workload family)
CLIENT_LABELS = {
    "httpx": ("raw httpx", "raw httpx"),
    "openai": ("openai SDK", "openai SDK"),
    "langchain": ("LangChain ChatOpenAI", "LangChain OpenAIEmbeddings"),
    "llamaindex": ("LlamaIndex OpenAILike", "LlamaIndex OpenAILikeEmbedding"),
    "litellm": ("litellm", "litellm"),
    "gw_core": ("gateway_core GatewayClient", "gateway_core GatewayClient"),
    "gw_langchain": ("ChatGateway", "GatewayEmbeddings"),
    "gw_llamaindex": ("GatewayLLM", "GatewayEmbedding"),
}
# package client -> the peer it is compared with
PEER_OF = {"gw_core": "openai", "gw_langchain": "langchain", "gw_llamaindex": "llamaindex"}
PACKAGE = ("gw_core", "gw_langchain", "gw_llamaindex")

# W0: (id, label, statement, is_package)
IMPORTS = [
    ("openai", "import openai", "import openai", False),
    ("langchain_openai", "from langchain_openai import ChatOpenAI",
     "from langchain_openai import ChatOpenAI", False),
    ("llama_index.core", "import llama_index.core", "import llama_index.core", False),
    ("openai_like", "from llama_index.llms.openai_like import OpenAILike",
     "from llama_index.llms.openai_like import OpenAILike", False),
    ("gateway_core", "from gateway_core import GatewayClient",
     "from gateway_core import GatewayClient", True),
    ("ChatGateway", "from langchain_gateway import ChatGateway",
     "from langchain_gateway import ChatGateway", True),
    ("GatewayLLM", "from llamaindex_gateway import GatewayLLM",
     "from llamaindex_gateway import GatewayLLM", True),
]
WORKLOADS = {  # id -> (description with {n}, full count, quick count, unit name)
    "W1": ("{n} non-streaming chat calls", 500, 100, "call"),
    "W2": ("{n} streams of 2,000 chunks", 20, 4, "stream"),
    "W3": ("{n} embedding calls of 64x1024, float answers", 100, 20, "call"),
    "W3b": ("{n} embedding calls of 64x1024, base64 answers", 100, 20, "call"),
}
W3C_SERVERS = ("float", "base64", "float, delayed", "base64, delayed")
W3C_DELAY_MS = 100
STREAM_CHUNKS = 2000


# --------------------------------------------------------------------------- measuring


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mib: float
    rc: int
    loop_cpu: float | None = None
    loop_wall: float | None = None
    error: str = ""


def run_once(argv: list[str], env: dict[str, str]) -> Run:
    """One child process: wall (monotonic), user+sys CPU and peak RSS from wait4."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        child = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=BENCH)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    run = Run(wall=wall, cpu=usage.ru_utime + usage.ru_stime, peak_mib=usage.ru_maxrss / 1024,
              rc=child.returncode)
    for line in stdout.splitlines():
        if line.startswith("BENCH "):
            loop = json.loads(line[6:])
            run.loop_cpu, run.loop_wall = loop["loop_cpu"], loop["loop_wall"]
    if run.rc != 0:
        run.error = (stderr.strip().splitlines() or [f"exit {run.rc}"])[-1][:300]
    return run


@dataclass
class Row:
    """One client on one workload: its runs, and the raw-httpx runs taken in turn with them."""

    client: str
    label: str
    status: str = "ok"  # ok | n/a (not built) | FAILED: ...
    runs: list[Run] = field(default_factory=list)
    base_runs: list[Run] = field(default_factory=list)

    def median(self, attr: str, base: bool = False) -> float | None:
        runs = self.base_runs if base else self.runs
        values = [getattr(r, attr) for r in runs if getattr(r, attr) is not None]
        return statistics.median(values) if values else None

    def pair_ratios(self, attr: str) -> list[float]:
        return [getattr(a, attr) / getattr(b, attr) for a, b in zip(self.runs, self.base_runs, strict=False)]

    def summary(self) -> dict:
        if self.status != "ok":
            return {"client": self.client, "label": self.label, "status": self.status}
        walls = self.pair_ratios("wall")
        base_peak = self.median("peak_mib", base=True)
        return {
            "client": self.client, "label": self.label, "status": self.status,
            "wall": self.median("wall"), "cpu": self.median("cpu"),
            "peak_mib": self.median("peak_mib"),
            "loop_cpu": self.median("loop_cpu"), "loop_wall": self.median("loop_wall"),
            "wall_min": min(r.wall for r in self.runs), "wall_max": max(r.wall for r in self.runs),
            "wall_x_base": statistics.median(walls) if walls else None,
            "wall_x_base_min": min(walls) if walls else None,
            "wall_x_base_max": max(walls) if walls else None,
            "cpu_x_base": (statistics.median(self.pair_ratios("cpu"))
                           if self.base_runs else None),
            "peak_x_base": (self.median("peak_mib") / base_peak
                            if base_peak else None),
            "base_wall": self.median("wall", base=True),
            "base_cpu": self.median("cpu", base=True),
            "base_peak_mib": base_peak,
        }


def measure_pairs(row: Row, argv: list[str], base_argv: list[str] | None, runs: int,
                  env: dict[str, str], progress: str) -> Row:
    """1 uncounted warm-up, then ``runs`` counted runs, each followed by the baseline (A B A B)."""
    for number in range(runs + 1):
        run = run_once(argv, env)
        if run.rc == EXIT_NOT_BUILT:
            row.status = "n/a (not built)"
            return row
        if run.rc != 0:
            row.status = f"FAILED: {run.error}"
            return row
        base = run_once(base_argv, env) if base_argv else None
        if base is not None and base.rc != 0:
            row.status = f"FAILED (baseline): {base.error}"
            return row
        if number:  # the first pass is the warm-up
            row.runs.append(run)
            if base is not None:
                row.base_runs.append(base)
        print(f"\r  {progress}: run {number}/{runs}  {run.wall:7.3f} s", end="", flush=True)
    print(f"\r  {progress}: median wall {row.median('wall'):.3f} s" + " " * 20)
    return row


# --------------------------------------------------------------------------- setup


def ensure_nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                       else None)
    if found:
        return found
    command = "apt-get install -y nginx-light"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"nginx is missing: running `{command}`", flush=True)
        install = subprocess.run(command.split(), capture_output=True, text=True)
        if install.returncode != 0:
            subprocess.run(["apt-get", "update"], capture_output=True)
            install = subprocess.run(command.split(), capture_output=True, text=True)
        found = shutil.which("nginx") or "/usr/sbin/nginx"
        if install.returncode == 0 and Path(found).exists():
            return found
        print(install.stdout[-2000:], install.stderr[-2000:], file=sys.stderr)
    raise SystemExit(f"nginx is needed: install it with `sudo {command}` (Debian/Ubuntu), "
                     "then run this again.")


def ensure_venv(litellm: bool) -> Path:
    """benchmarks/.venv-peers with this package (editable) and the peers installed."""
    python = VENV / "bin" / "python"
    wanted = ["-e", f"{REPO}[all]", *PEER_PACKAGES] + (["litellm"] if litellm else [])
    stamp = VENV / ".bench-installed"
    installed = stamp.read_text().split("\n") if stamp.exists() else []
    missing = [p for p in wanted if p not in installed]
    if python.exists() and not missing:
        return python
    WORK.mkdir(exist_ok=True)
    log = WORK / "pip-peers.log"
    if not python.exists():
        print(f"creating {VENV.relative_to(REPO)} (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    print(f"installing into {VENV.relative_to(REPO)}: {' '.join(missing)} (log: {log})",
          flush=True)
    with log.open("a") as out:
        done = subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check",
                               *wanted], stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"pip install into {VENV} failed; see {log}")
    stamp.write_text("\n".join(sorted(set(installed) | set(wanted))))
    return python


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Nginx:
    """nginx in the foreground as our child, with its own config and canned files."""

    def __init__(self, binary: str, python: Path) -> None:
        self.binary = binary
        self.process: subprocess.Popen[bytes] | None = None
        self._stop_stale()
        canned = WORK / "canned"
        for sub in ("tmp", "canned"):
            (WORK / sub).mkdir(parents=True, exist_ok=True)
        subprocess.run([str(python), str(BENCH / "gen_fixtures.py"), str(canned)], check=True)
        self.expected = canned / "expected.json"
        self.port = free_port()
        config = (BENCH / "nginx.conf.template").read_text()
        config = config.replace("@PORT@", str(self.port)).replace("@WORK@", str(WORK))
        (WORK / "nginx.conf").write_text(config)
        self.root = f"http://127.0.0.1:{self.port}"

    def _stop_stale(self) -> None:
        """A run killed with SIGKILL leaves its nginx behind: stop that one (ours, by pid file)."""
        pid_file = WORK / "nginx.pid"
        if not pid_file.exists():
            return
        try:
            pid = int(pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (ValueError, OSError):
            return
        if "nginx" in cmdline and str(WORK) in cmdline:
            os.kill(pid, signal.SIGTERM)
            time.sleep(0.5)

    def start(self) -> None:
        argv = [self.binary, "-p", str(WORK), "-c", str(WORK / "nginx.conf"),
                "-e", str(WORK / "error.log"), "-g", "daemon off;"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("nginx did not start: "
                                 + self.process.stderr.read().decode(errors="replace"))
            try:
                with urllib.request.urlopen(f"{self.root}/healthz", timeout=1) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("nginx did not answer within 10 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def version(self) -> str:
        done = subprocess.run([self.binary, "-v"], capture_output=True, text=True)
        return (done.stderr or done.stdout).strip().split("/")[-1]


class DelayedServer:
    """latency_server.py: the canned embeddings, each answer sent after W3C_DELAY_MS."""

    def __init__(self, python: Path, nginx: Nginx) -> None:
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.argv = [str(python), str(BENCH / "latency_server.py"), str(self.port),
                     str(W3C_DELAY_MS), str(WORK / "canned")]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.root}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("latency_server.py did not answer within 10 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(5)
        self.process = None


class LoadSampler(threading.Thread):
    """The 1-minute load average every 5 s: other agents share the two cores."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.samples.append(os.getloadavg()[0])
            self.stopped.wait(5)


# --------------------------------------------------------------------------- workloads


def client_argv(python: Path, client: str, workload: str, root: str, count: int) -> list[str]:
    return [str(python), str(CLIENTS / f"c_{client}.py"), workload, root, str(count)]


def import_argv(python: Path, statement: str, package: bool) -> list[str]:
    if package:  # exit 3 (not built) rather than a traceback when the class does not exist yet
        statement = (f"try:\n    {statement}\nexcept (ImportError, AttributeError):\n"
                     "    raise SystemExit(3)")
    return [str(python), "-c", statement]


def run_w0(python: Path, runs: int, env: dict[str, str], litellm: bool) -> dict:
    print("W0 cold import (fresh interpreter; ratios against `import httpx`)", flush=True)
    httpx_argv = import_argv(python, "import httpx", False)
    rows = [measure_pairs(Row("httpx", "import httpx (x: against python -c pass)"), httpx_argv,
                          import_argv(python, "pass", False), runs, env, "import httpx")]
    imports = IMPORTS + ([("litellm", "import litellm", "import litellm", False)]
                         if litellm else [])
    for ident, label, statement, package in imports:
        rows.append(measure_pairs(Row(ident, label), import_argv(python, statement, package),
                                  httpx_argv, runs, env, label))
    # The two import targets sit near their limits: three times the runs for a steadier median.
    print(f"W0 target pairs (package import taken in turn with the peer import, {3 * runs} "
          "runs)", flush=True)
    direct = {}
    for ident, statement, peer_label, peer_statement in (
        ("ChatGateway", "from langchain_gateway import ChatGateway",
         "from langchain_openai import ChatOpenAI", "from langchain_openai import ChatOpenAI"),
        ("GatewayLLM", "from llamaindex_gateway import GatewayLLM",
         "import llama_index.core", "import llama_index.core"),
    ):
        row = measure_pairs(Row(ident, f"{statement} vs {peer_label}"),
                            import_argv(python, statement, True),
                            import_argv(python, peer_statement, False), 3 * runs, env,
                            f"{ident} vs {peer_label}")
        direct[ident] = row.summary()
    return {"rows": [row.summary() for row in rows], "direct": direct}


def run_workload(python: Path, workload: str, clients: list[str], root: str, count: int,
                 runs: int, env: dict[str, str]) -> dict:
    description = WORKLOADS[workload][0].format(n=f"{count:,}")
    print(f"{workload} {description}", flush=True)
    family = 1 if workload.startswith("W3") else 0
    httpx_argv = client_argv(python, "httpx", workload, root, count)
    base = measure_pairs(Row("httpx", "raw httpx"), httpx_argv, None, runs, env, "raw httpx")
    rows = [base]
    for client in clients:
        if client == "httpx" or (client == "litellm" and workload == "W3b"):
            continue
        label = CLIENT_LABELS[client][family]
        rows.append(measure_pairs(Row(client, label),
                                  client_argv(python, client, workload, root, count),
                                  httpx_argv, runs, env, label))
    summaries = [row.summary() for row in rows]
    by_client = {s["client"]: s for s in summaries}
    for summary in summaries:  # whole-process CPU against the peer (ratio of medians)
        peer = by_client.get(PEER_OF.get(summary["client"], ""))
        if summary["status"] == "ok" and peer and peer["status"] == "ok":
            summary["cpu_x_peer"] = summary["cpu"] / peer["cpu"]
            summary["loop_cpu_x_peer"] = (summary["loop_cpu"] / peer["loop_cpu"]
                                          if summary["loop_cpu"] and peer["loop_cpu"] else None)
    return {"description": description, "count": count, "rows": summaries}


def run_probe(python: Path, argv: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run([str(python), *argv], capture_output=True, text=True, env=env,
                          cwd=BENCH)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:500]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# Targeted probes (issue #18): their own server (stream_server.py) or none; each prints a
# table, then one JSON line. part -> (script, arguments, arguments with --quick, title)
GROWTH_PROBES = {
    "scaling": ("scaling.py", [], [], "Growth: CPU per run at 2k-200k characters, log-log slope"),
    "toolcalls": ("toolcalls.py", ["5"], ["2"],
                  "A 1 MB tool call in 16-byte fragments: GatewayClient vs raw httpx (CPU)"),
    "floors": ("floors.py", ["7"], ["2"],
               "Framework floors: CPU per call / per chunk, one process, clients taking turns"),
    "concurrency": ("concurrency.py", ["3"], ["1", "1", "100"],
                    "Concurrent streams (each spread over ~1 s): wall and CPU vs raw "
                    "httpx.AsyncClient"),
}


def run_growth_probe(python: Path, part: str, quick: bool, env: dict[str, str]) -> dict:
    script, arguments, quick_arguments, _ = GROWTH_PROBES[part]
    print(f"{part}: probes/{script}", flush=True)
    done = subprocess.run([str(python), str(PROBES / script),
                           *(quick_arguments if quick else arguments)],
                          capture_output=True, text=True, env=env, cwd=BENCH)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:500]}
    lines = done.stdout.strip().splitlines()
    table = [line for line in lines if not line.startswith("{")]
    return {"table": "\n".join(table), "data": json.loads(lines[-1]) if lines[-1][:1] == "{"
            else None}


def run_steady(python: Path, clients: list[str], root: str, rounds: int, repeats: int,
               env: dict[str, str]) -> dict:
    print(f"steady state: {repeats} probe process(es) x {rounds} rounds, clients taking turns",
          flush=True)
    results = []
    for number in range(repeats):
        result = run_probe(python, [str(PROBES / "steady_state.py"), root, str(rounds),
                                    *clients], env)
        if "error" in result:
            print(f"  probe failed: {result['error']}")
            return result
        results.append(result)
        print(f"  probe {number + 1}/{repeats} done", flush=True)
    merged: dict[str, dict] = {}
    for client in clients:
        merged[client] = {}
        for unit in ("chat", "stream", "embed", "embed_b64"):
            values = [r[client][unit] for r in results]
            numbers = [v for v in values if isinstance(v, (int, float))]
            merged[client][unit] = (statistics.median(numbers) if len(numbers) == len(values)
                                    else next(v for v in values if not isinstance(v, float)))
    return {"rounds": rounds, "repeats": repeats, "per_unit": merged}


# --------------------------------------------------------------------------- reporting


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _x(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}x" if value < 10 else f"{value:.1f}x"


def targets(results: dict) -> list[dict]:
    """The issue targets, each with its measured ratio and whether it is met."""
    found = []
    w0 = results.get("W0", {}).get("direct", {})
    steady = results.get("steady", {}).get("per_unit", {})
    w3c = results.get("W3c", {})

    def direct(ident: str, what: str, limit: float, issue: str) -> None:
        """Met only when both the wall and the CPU pair ratios are within the limit."""
        row = w0.get(ident)
        ok = bool(row) and row.get("status") == "ok"
        value = row["wall_x_base"] if ok else None
        cpu = row["cpu_x_base"] if ok else None
        found.append({
            "target": what, "limit": f"<= {limit}x", "issue": issue, "value": value,
            "status": row.get("status") if row else "not run",
            "met": ok and value <= limit and cpu <= limit,
            "detail": (f"wall {_f(row['wall'])} s vs {_f(row['base_wall'])} s; cpu ratio "
                       f"{_x(cpu)}; pair ratios {row['wall_x_base_min']:.2f}-"
                       f"{row['wall_x_base_max']:.2f}" if ok else ""),
        })

    def ratio(client: str, peer: str, unit: str, what: str, limit: float, issue: str) -> None:
        mine, theirs = steady.get(client, {}).get(unit), steady.get(peer, {}).get(unit)
        ok = isinstance(mine, float) and isinstance(theirs, float)
        scale, suffix = (1e6, "us/chunk") if unit == "stream" else (1e3, "ms/call")
        found.append({
            "target": what, "limit": f"<= {limit}x", "issue": issue,
            "value": mine / theirs if ok else None,
            "status": "ok" if ok else str(mine if not isinstance(mine, float) else theirs),
            "met": ok and mine / theirs <= limit,
            "detail": (f"{mine * scale:.3g} vs {theirs * scale:.3g} {suffix}" if ok else ""),
        })

    if w0:
        direct("ChatGateway", "import: `from langchain_gateway import ChatGateway` vs "
               "`from langchain_openai import ChatOpenAI`", 0.55, "#3")
        direct("GatewayLLM", "import: `from llamaindex_gateway import GatewayLLM` vs "
               "`import llama_index.core`", 1.1, "#4")
    if steady:
        ratio("gw_langchain", "langchain", "chat", "CPU per invoke: ChatGateway vs ChatOpenAI",
              0.6, "#3")
        ratio("gw_langchain", "langchain", "stream",
              "CPU per streamed chunk: ChatGateway vs ChatOpenAI", 0.45, "#3")
        ratio("gw_llamaindex", "llamaindex", "stream",
              "CPU per streamed chunk: GatewayLLM vs OpenAILike", 0.45, "#4")
        ratio("gw_langchain", "langchain", "embed",
              "CPU per embedding call, float answers: GatewayEmbeddings vs OpenAIEmbeddings",
              0.15, "#5")
        ratio("gw_langchain", "langchain", "embed_b64",
              "CPU per embedding call, base64 answers: GatewayEmbeddings vs OpenAIEmbeddings",
              0.6, "#5")
    if w3c:
        for answer in W3C_SERVERS:
            part = w3c.get(answer, {}).get("package") if "error" not in w3c else None
            value = part["ratio"] if part else None
            raw = w3c.get(answer, {}).get("httpx", {}).get("ratio") if part else None
            delayed = "delayed" in answer
            found.append({
                "target": (f"async embeddings ({answer.split(',')[0]} answers"
                           + (f", each answer delayed {W3C_DELAY_MS} ms: supplementary"
                              if delayed else "")
                           + "): throughput at max_concurrency=4 vs sequential"),
                "limit": ">= 2.5x", "issue": "#5", "value": value,
                "status": "ok" if part else w3c.get("error", "not run"),
                "met": value is not None and value >= 2.5,
                "detail": ((f"raw httpx.AsyncClient on the same server: {raw:.2f}x"
                            + ("; the client is CPU-bound here (wall = CPU), nothing to overlap"
                               if raw < 2.5 and not delayed else ""))
                           if raw else ""),
            })
    return found


def render(results: dict) -> str:
    meta = results["meta"]
    lines = [
        "# Benchmark results",
        "",
        f"Run {meta['date']} with `{meta['command']}`. Machine: {meta['cpus']} cores "
        f"({meta['cpu_model']}), {meta['os']}, CPython {meta['python']}, nginx {meta['nginx']}. "
        f"{meta['runs']} counted runs per row after 1 warm-up.",
        "",
        f"**Load average (1 min) during the run: start {meta['load_start']:.2f}, median "
        f"{meta['load_median']:.2f}, max {meta['load_max']:.2f}, end {meta['load_end']:.2f}** "
        "(other agents share the cores; quote ratios, not absolute times).",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()) + ".",
        "",
        "## Issue targets",
        "",
        "| target | issue | measured | limit | met? | detail |",
        "| --- | --- | ---: | ---: | :---: | --- |",
    ]
    for t in results["targets"]:
        mark = "✅ met" if t["met"] else ("❌ missed" if t["value"] is not None
                                         else f"n/a ({t['status']})")
        value = _x(t["value"]) if t["value"] is not None else "-"
        lines.append(f"| {t['target']} | {t['issue']} | {value} | {t['limit']} | {mark} | "
                     f"{t['detail']} |")
    lines += [
        "",
        "Import targets: whole process, median of the pair ratios of the package import run in "
        "turn with the peer import (3x the runs); \"measured\" is the wall ratio, and a target "
        "counts as met only if the CPU ratio is within the limit too. CPU targets: the "
        "steady-state probe below (one warmed-up process, clients taking turns). Async target: "
        "the issue's server is nginx; the delayed rows are supplementary.",
    ]

    if "W0" in results:
        lines += ["", "## W0 cold import (whole process; ratios against `import httpx`, taken "
                  "in turn)", "",
                  "| import | wall s | cpu s | peak MiB | wall x httpx | cpu x httpx | "
                  "peak x httpx | pair ratio min-max |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for s in results["W0"]["rows"]:
            lines.append(_row_line(s, [s["label"]], loop=False))
        lines += ["", "Target pairs (package import taken in turn with the peer import):", "",
                  "| pair | package wall s | peer wall s | wall ratio (median of pairs) | "
                  "cpu ratio | peak ratio |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for s in results["W0"]["direct"].values():
            if s["status"] != "ok":
                lines.append(f"| {s['label']} | {s['status']} | | | | |")
                continue
            lines.append(f"| {s['label']} | {_f(s['wall'])} | {_f(s['base_wall'])} | "
                         f"{_x(s['wall_x_base'])} | {_x(s['cpu_x_base'])} | "
                         f"{_x(s['peak_x_base'])} |")

    for workload in WORKLOADS:
        if workload not in results:
            continue
        part = results[workload]
        per, scale = ("us/chunk", 1e6 / STREAM_CHUNKS) if workload == "W2" else ("ms/call", 1e3)
        lines += ["", f"## {workload}: {part['description']} (whole process)", "",
                  f"| client | wall s | cpu s | peak MiB | wall x httpx | cpu x httpx | "
                  f"peak x httpx | wall ratio min-max | loop cpu {per} | cpu x peer |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for s in part["rows"]:
            loop = (s["loop_cpu"] * scale / part["count"]
                    if s.get("loop_cpu") is not None else None)
            lines.append(_row_line(s, [s["label"]], loop=True, loop_value=loop,
                                   digits=1 if workload == "W2" else 2))

    steady = results.get("steady", {})
    if steady.get("per_unit"):
        lines += ["", f"## Steady state: client CPU per unit of work (one warmed-up process, "
                  f"clients taking turns; median of {steady['rounds']} rounds, median of "
                  f"{steady['repeats']} processes)", "",
                  "| client | ms per chat call | us per stream chunk | ms per embedding call "
                  "(floats) | ms per embedding call (base64) |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        per_unit = steady["per_unit"]
        base = per_unit.get("httpx", {})
        for client, units in per_unit.items():
            cells = []
            for unit, scale, digits in (("chat", 1e3, 3), ("stream", 1e6, 1),
                                        ("embed", 1e3, 1), ("embed_b64", 1e3, 2)):
                value = units.get(unit)
                if not isinstance(value, float):
                    cells.append(str(value))
                    continue
                text = f"{value * scale:.{digits}f}"
                if client != "httpx" and isinstance(base.get(unit), float):
                    text += f" ({_x(value / base[unit])} httpx"
                    peer = per_unit.get(PEER_OF.get(client, ""), {}).get(unit)
                    if isinstance(peer, float):
                        text += f", {_x(value / peer)} peer"
                    text += ")"
                cells.append(text)
            label = CLIENT_LABELS[client][0] + (" / " + CLIENT_LABELS[client][1]
                                                if CLIENT_LABELS[client][1]
                                                != CLIENT_LABELS[client][0] else "")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines += ["", "Peers of the package rows: GatewayClient vs openai SDK, ChatGateway / "
                  "GatewayEmbeddings vs ChatOpenAI / OpenAIEmbeddings, GatewayLLM / "
                  "GatewayEmbedding vs OpenAILike / OpenAILikeEmbedding."]
    elif "error" in steady:
        lines += ["", f"Steady-state probe failed: {steady['error']}"]

    w3c = results.get("W3c")
    if w3c and "error" not in w3c:
        lines += ["", "## W3c: async embeddings, max_concurrency=4 vs sequential "
                  f"(one call of N x 64 texts per measurement; median of "
                  f"{results['meta']['w3c_rounds']} rounds, the order alternating)", "",
                  "Servers: `float` / `base64` = nginx's canned answers, as fast as it sends "
                  "them (the issue's server); `delayed` = the same answers from "
                  f"`latency_server.py`, each after {W3C_DELAY_MS} ms, as a gateway's upstream "
                  "would. Raw httpx.AsyncClient with a semaphore of 4 shows what the machine "
                  "allows at all.", "",
                  "| server | API | N | sequential wall s | concurrent wall s | throughput ratio "
                  "(min-max) | sequential cpu s | concurrent cpu s |",
                  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for answer in W3C_SERVERS:
            for who in ("package", "httpx"):
                p = w3c[answer][who]
                lines.append(f"| {answer} | {p['api']} | {p['calls']} | "
                             f"{_f(p['sequential_wall'])} | "
                             f"{_f(p['concurrent_wall'])} | {_x(p['ratio'])} "
                             f"({p['ratio_min']:.2f}-{p['ratio_max']:.2f}) | "
                             f"{_f(p['sequential_cpu'])} | {_f(p['concurrent_cpu'])} |")
    elif w3c:
        lines += ["", f"W3c failed: {w3c['error']}"]
    for part, (_, _, _, title) in GROWTH_PROBES.items():
        probe = results.get(part)
        if probe:
            lines += ["", f"## {part}: {title}", ""]
            lines += ["```", probe["table"], "```"] if "table" in probe else [
                f"Failed: {probe['error']}"]
    notes = results.get("notes")
    if notes:
        lines += ["", "## Notes", "", *notes]
    return "\n".join(lines) + "\n"


def _row_line(s: dict, head: list[str], loop: bool, loop_value: float | None = None,
              digits: int = 2) -> str:
    if s["status"] != "ok":
        return f"| {head[0]} | {s['status']} |" + " |" * (9 if loop else 7)
    spread = (f"{s['wall_x_base_min']:.2f}-{s['wall_x_base_max']:.2f}"
              if s.get("wall_x_base_min") is not None else "-")
    cells = [head[0], _f(s["wall"]), _f(s["cpu"]), f"{s['peak_mib']:.0f}",
             _x(s["wall_x_base"]), _x(s["cpu_x_base"]), _x(s["peak_x_base"]), spread]
    if loop:
        cells += ["-" if loop_value is None else f"{loop_value:.{digits}f}",
                  _x(s.get("cpu_x_peer"))]
    return "| " + " | ".join(cells) + " |"


# --------------------------------------------------------------------------- main


def versions(python: Path, env: dict[str, str]) -> dict[str, str]:
    script = ("import importlib.metadata as m, json, sys\nout = {}\n"
              f"for name in {VERSION_OF!r}:\n"
              "    try: out[name] = m.version(name)\n"
              "    except m.PackageNotFoundError: pass\nprint(json.dumps(out))")
    done = subprocess.run([str(python), "-c", script], capture_output=True, text=True, env=env)
    return json.loads(done.stdout) if done.returncode == 0 else {}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=None,
                        help="counted runs per row after 1 warm-up (default 5; 2 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2 runs, fewer calls, fewer probe rounds")
    parser.add_argument("--litellm", action="store_true",
                        help="also measure litellm (installs it into the peers venv; slow)")
    parser.add_argument("--only", default="W0,W1,W2,W3,W3b,W3c,steady,scaling,toolcalls,floors,"
                        "concurrency",
                        help="comma-separated parts to run (default: all)")
    parser.add_argument("--output", default=str(RESULTS / "latest"),
                        help="results path without extension (default benchmarks/results/latest)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    runs = args.runs or (2 if args.quick else 5)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    clients = ["httpx", "openai", "langchain", "llamaindex", *PACKAGE]
    if args.litellm:
        clients.insert(4, "litellm")

    binary = ensure_nginx()
    python = ensure_venv(args.litellm)
    nginx = Nginx(binary, python)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LANGCHAIN_", "LANGSMITH_", "GATEWAY_", "OPENAI_"))}
    env.update({"BENCH_EXPECTED": str(nginx.expected), "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                "PYTHONHASHSEED": "0"})
    sampler = LoadSampler()
    load_start = os.getloadavg()[0]
    started = time.monotonic()
    results: dict = {"meta": {}, "notes": []}

    def on_term(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    try:
        nginx.start()
        sampler.start()
        print(f"nginx {nginx.version()} on {nginx.root}; peers venv {VENV.relative_to(REPO)}; "
              f"{runs} runs per row; load average {load_start:.2f}", flush=True)
        if "W0" in parts:
            results["W0"] = run_w0(python, runs, env, args.litellm)
        for workload in WORKLOADS:
            if workload in parts:
                count = WORKLOADS[workload][2 if args.quick else 1]
                results[workload] = run_workload(python, workload, clients, nginx.root, count,
                                                 runs, env)
        if "W3c" in parts:
            rounds, batches, delayed_batches = (2, 8, 8) if args.quick else (7, 25, 16)
            print(f"W3c async embeddings: {rounds} rounds of {batches} calls (nginx) and "
                  f"{delayed_batches} calls (answers delayed {W3C_DELAY_MS} ms)", flush=True)
            delayed = DelayedServer(python, nginx)
            try:
                delayed.start()
                results["W3c"] = run_probe(python, [
                    str(PROBES / "async_embed.py"), nginx.root, delayed.root, str(rounds),
                    str(batches), str(delayed_batches)], env)
            finally:
                delayed.stop()
            results["meta"]["w3c_rounds"] = rounds
        if "steady" in parts:
            rounds, repeats = (2, 1) if args.quick else (5, 3)
            results["steady"] = run_steady(python, clients, nginx.root, rounds, repeats, env)
        for part in GROWTH_PROBES:
            if part in parts:
                results[part] = run_growth_probe(python, part, args.quick, env)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping nginx", file=sys.stderr)
        return 130
    finally:
        sampler.stopped.set()
        nginx.stop()

    samples = sampler.samples or [load_start]
    results["meta"].update({
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join(["python benchmarks/run.py", *sys.argv[1:]]),
        "duration_s": round(time.monotonic() - started, 1),
        "runs": runs, "quick": args.quick,
        "cpus": os.cpu_count(), "cpu_model": cpu_model(),
        "os": platform.platform(terse=True), "python": platform.python_version(),
        "nginx": nginx.version(), "versions": versions(python, env),
        "load_start": load_start, "load_end": os.getloadavg()[0],
        "load_median": statistics.median(samples), "load_max": max(samples),
    })
    results["targets"] = targets(results)
    failed = [
        f"{w}: {s['label']}: {s['status']}" for w in (*WORKLOADS, "W0")
        for s in results.get(w, {}).get("rows", []) if s["status"].startswith("FAILED")
    ]
    if failed:
        results["notes"] += ["Failures (a client got a wrong answer or crashed):", "",
                             *[f"- {f}" for f in failed]]
    text = render(results)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(text)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str))
    print()
    print(text)
    print(f"written: {out.with_suffix('.md')} and {out.with_suffix('.json')} "
          f"({results['meta']['duration_s']:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
