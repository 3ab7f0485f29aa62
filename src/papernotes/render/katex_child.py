"""KaTeX in a child process, for the formulas that could damage the engine of the build.

pykatex 0.1.1 damages its heap each time KaTeX *throws* (see ``mathml._EngineGuard``): after a
few such errors a process can convert no more math. Most throws are stopped before KaTeX sees
the formula, but macros (``\\def``, ``\\newcommand`` …) can nest deeper than they look, so:

* formulas that define macros, and every formula once the build's own engine has thrown, are
  converted here, in a child process (``python -m papernotes.render.katex_child``) with a memory
  limit and a time limit per formula;
* a child whose engine threw, ran out of time or of memory, or died, is replaced by a new one for
  the next formula: one formula fails alone, the other notes keep their math.

The protocol is one JSON line each way: ``{"tex", "display"}`` in, ``{"raw"}`` or ``{"error",
"thrown"}`` out.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
from pathlib import Path

#: Seconds one formula may take in the child (KaTeX converts a real formula in well under 10 ms).
TIME_LIMIT = 20.0
#: Address space of the child (the engine of a runaway macro grows until it is stopped).
MEMORY_LIMIT = 2 * 1024**3


class ChildFailure(Exception):
    """The child could not convert the formula; str(e) says why, in a few words."""

    def __init__(self, message: str, thrown: bool = False) -> None:
        super().__init__(message)
        self.thrown = thrown


def _limit_memory() -> None:  # runs in the child before it starts
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass


class ChildEngine:
    """One child process at a time, started when first needed and replaced after a failure."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._pid = 0  # the process that started it (a forked worker starts its own)

    def convert(self, tex: str, display: bool) -> str:
        with self._lock:
            process = self._ensure()
            request = json.dumps({"tex": tex, "display": display}) + "\n"
            try:
                assert process.stdin is not None and process.stdout is not None
                process.stdin.write(request.encode("utf-8"))
                process.stdin.flush()
                ready, _, _ = select.select([process.stdout], [], [], TIME_LIMIT)
                line = process.stdout.readline() if ready else b""
            except (BrokenPipeError, OSError, ValueError):
                line = b""
            if not line:
                timed_out = process.poll() is None
                self._stop()
                raise ChildFailure(f"it took the math engine more than {TIME_LIMIT:g} s" if timed_out
                                   else "it exhausted the math engine (memory or stack)", thrown=True)
            answer = json.loads(line)
            if "raw" in answer:
                return answer["raw"]
            if answer.get("thrown"):
                self._stop()  # its heap is damaged: the next formula gets a new child
            raise ChildFailure(answer.get("error", "unknown error"), thrown=bool(answer.get("thrown")))

    def _ensure(self) -> subprocess.Popen:
        if self._process is not None and (self._pid != os.getpid() or self._process.poll() is not None):
            self._process = None
        if self._process is None:
            # the child imports this very copy of papernotes, whatever PYTHONPATH says
            package_root = str(Path(__file__).resolve().parents[2])
            env = dict(os.environ, PYTHONPATH=os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")]))
            self._process = subprocess.Popen(
                [sys.executable, "-m", "papernotes.render.katex_child"], env=env,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                preexec_fn=_limit_memory if os.name == "posix" else None, close_fds=True)
            self._pid = os.getpid()
        return self._process

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.kill()
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for stream in (process.stdin, process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    def close(self) -> None:
        with self._lock:
            self._stop()


def _serve() -> None:
    """The child: convert formulas from stdin until it ends, or until KaTeX throws."""
    import pykatex

    from .mathml import katex_options

    for line in sys.stdin.buffer:
        request = json.loads(line)
        try:
            raw = pykatex.renderToString(request["tex"], displayMode=request["display"], **katex_options())
            answer: dict = {"raw": raw}
        except pykatex.ParseError as exc:
            answer = {"error": str(exc), "thrown": True}
        except (ValueError, UnicodeError) as exc:
            answer = {"error": str(exc), "thrown": False}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
        if answer.get("thrown"):
            return


if __name__ == "__main__":
    _serve()
