"""Command line: ``papernotes build``, ``papernotes init``."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from . import __version__
from .console import os_reason, printable, say, warn
from .build import BuildOptions, BuildResult, build
from .output import OutputError
from .scaffold import ScaffoldError, init_site


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = make_parser(everything=not argv or argv[0] not in QUICK_COMMANDS)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    root = getattr(args, "root", None)
    if root is not None and args.command != "import" and not root.is_dir():
        # a typo in --root must not build an empty site (or create the folder)
        warn(f"error: the site root {printable(str(root))} is not a folder"
             + (" (it does not exist)" if not root.exists() else ""))
        return 2
    try:
        return args.run(args)
    except KeyboardInterrupt:
        warn("interrupted")
        return 130
    except OSError as exc:  # notes that cannot be read, a folder that cannot be created: one line
        warn(f"error: {os_reason(exc)}")
        return 2


def entry() -> None:
    """The ``papernotes`` command: ``main`` and exit. What a build leaves in memory is not
    collected on the way out: at 10,000 notes it is half a million objects in reference cycles,
    which Python's shutdown would otherwise collect and free one by one (0.8–1 s, a quarter of a
    one-note build) just before the system frees the whole process at once. Frozen, the last
    collection passes them by; files are flushed and closed as before (``atexit`` still runs)."""
    code = main()
    gc.freeze()
    sys.exit(code)


def port_number(text: str) -> int:
    """``--port``: a TCP port, 0–65535 (argparse prints the usage and this message, exit 2)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text} is not a port number (0–65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0–65535)")
    return port


#: Commands whose run needs none of the others' modules: ``papernotes build`` does not import the
#: importers, the exporters and the API clients only to describe them (about 60 ms a run).
QUICK_COMMANDS = ("build", "serve", "clean")


def make_parser(everything: bool = True) -> argparse.ArgumentParser:
    """The command line; without ``everything`` only the QUICK_COMMANDS (``papernotes build -h``
    then lists only those)."""
    parser = argparse.ArgumentParser(
        prog="papernotes",
        description="Turn a folder of Markdown paper notes into a fast, offline static site.",
    )
    parser.add_argument("--version", action="version", version=f"papernotes {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = commands.add_parser("build", help="build the site into the output folder",
                            description="Build the site from notes/ into the output folder (default: site/).")
    p.add_argument("--root", type=Path, default=Path("."), help="site root holding notes/ and papernotes.yaml (default: .)")
    p.add_argument("--output", "-o", type=Path, help="output folder (default: 'output' in papernotes.yaml, else site/)")
    p.add_argument("--strict", action="store_true", help="fail, and keep the previous site, on any warning or error")
    p.add_argument("--no-search", action="store_true", help="skip the search index (faster; the search box then says so)")
    p.add_argument("--no-cache", action="store_true", help="neither use nor update the build cache (.papernotes-cache/)")
    p.add_argument("--safe", action="store_true",
                   help="sanitise the raw HTML in note bodies (scripts, event handlers, javascript: links, "
                        "iframes removed) — for notes you did not write")
    p.add_argument("--jobs", "-j", type=int, default=0, metavar="N",
                   help="worker processes (default: one per CPU; 1: no workers)")
    verbosity = p.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print only errors and warnings")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="also print each file written")
    p.set_defaults(run=run_build)

    p = commands.add_parser("serve", help="preview the site and rebuild on every save",
                            description="Build the site, serve it, and rebuild the pages a change touches on "
                                        "every save; open pages reload by themselves.")
    p.add_argument("--root", type=Path, default=Path("."), help="site root holding notes/ and papernotes.yaml (default: .)")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=port_number, default=8000, help="port (default: 8000; the next free one if taken; 0: any)")
    p.add_argument("--open", action="store_true", help="open the site in a web browser")
    p.add_argument("--strict", action="store_true", help="show warnings as problems too")
    p.add_argument("--no-search", action="store_true", help="do not keep a search index")
    p.add_argument("--safe", action="store_true",
                   help="sanitise the raw HTML in note bodies (scripts, event handlers, javascript: links, "
                        "iframes removed) — for notes you did not write")
    p.set_defaults(run=run_serve)

    if everything:
        from .commands import check, export, import_notes, new_note, refs

        for command in (new_note, import_notes, check, export, refs):
            command.add_parser(commands)

    p = commands.add_parser("clean", help="remove the build cache and the built site",
                            description="Remove .papernotes-cache/ and the output folder (only if papernotes "
                                        "wrote it). Notes are never touched.")
    p.add_argument("--root", type=Path, default=Path("."), help="site root (default: .)")
    p.set_defaults(run=run_clean)

    p = commands.add_parser("init", help="create a new notes site with example notes",
                            description="Create DIR with papernotes.yaml and a notes/ folder of example notes.")
    p.add_argument("directory", type=Path, help="folder to create (must be empty or missing)")
    p.add_argument("--empty", action="store_true", help="create notes/ with a single starter note instead of the examples")
    p.set_defaults(run=run_init)
    return parser


def run_build(args: argparse.Namespace) -> int:
    # A build allocates hundreds of thousands of long-lived objects (notes, cached renderings)
    # and few reference cycles: with the default threshold (700) the collector runs thousands of
    # times over the growing heap (reading 10,000 cached notes took twice as long).
    gc.set_threshold(50_000, 20, 100)
    try:
        result = build(BuildOptions(root=args.root, output=args.output, strict=args.strict, search=not args.no_search,
                                    jobs=args.jobs, cache=not args.no_cache, safe=args.safe))
    except OutputError as exc:
        warn(f"error: {exc}")
        return 2
    report(result, quiet=args.quiet, verbose=args.verbose)
    if result.diagnostics.errors or (args.strict and result.diagnostics.items):
        return 1
    return 0


def report(result: BuildResult, quiet: bool = False, verbose: bool = False) -> None:
    if verbose:
        for path in result.paths:
            say(f"wrote {path}")
    for item in result.diagnostics.items:
        warn(item)
    for notice in result.notices:
        warn(f"note: {notice}")
    errors, warnings = len(result.diagnostics.errors), len(result.diagnostics.warnings)
    if result.failed_notes:
        warn(f"left out {len(result.failed_notes)} note(s) with errors: {', '.join(result.failed_notes)}")
    where = result.config.output_path if result.written else "nothing written; the previous site is unchanged"
    if not quiet and result.up_to_date:
        say(f"{result.notes} notes, {result.pages} pages, {warnings} warnings, {errors} errors: "
              f"nothing changed since the last build ({result.seconds:.2f} s) -> {result.config.output_path}")
    elif not quiet:
        search = f" (search index {result.search_seconds:.2f} s)" if result.search_seconds is not None else ""
        say(
            f"{result.notes} notes, {result.pages} pages, {warnings} warnings, {errors} errors "
            f"in {result.seconds:.2f} s{search} -> {where}"
        )


def run_serve(args: argparse.Namespace) -> int:
    import signal
    import time
    import webbrowser

    from .serve import PreviewServer, ServeOptions
    from .serve.preview import ServeError

    server = PreviewServer(ServeOptions(root=args.root, host=args.host, port=args.port, strict=args.strict,
                                        search=not args.no_search, safe=args.safe), sys.stdout)
    # Ctrl-C and kill: a clean stop, no traceback. The handler only appends to a list: it runs in
    # the main thread between any two bytecodes, and one that took a lock (threading.Event.set)
    # deadlocked when the signal came while the main thread itself held that lock in Event.wait.
    stopping: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, _frame: stopping.append(signum))
    try:
        url = server.start()
    except (ServeError, OutputError) as exc:
        warn(f"error: {exc}")
        return 2
    except KeyboardInterrupt:
        return 130
    say(f"serving {url}  (Ctrl-C to stop)")
    if args.open:
        webbrowser.open(url)
    try:
        while not stopping:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    say("stopped")
    return 0


def run_clean(args: argparse.Namespace) -> int:
    import shutil

    from .build import foreign_files
    from .cache import CACHE_DIR, BuildCache
    from .load.config import load_config
    from .diagnostics import Diagnostics
    from .load.notes import display_path
    from .load.static import STATIC_DIR
    from .output import MARKER, check_output_dir

    root = args.root.resolve()
    config = load_config(root, Diagnostics())
    removed = []
    last = BuildCache.read_last_build(root / CACHE_DIR)  # what the last build wrote: read before it goes
    cache = root / CACHE_DIR
    if cache.is_symlink():  # only the link: never what it points to
        cache.unlink()
        removed.append(CACHE_DIR)
    elif cache.is_dir():
        shutil.rmtree(cache)
        removed.append(CACHE_DIR)
    output = config.output_path
    try:
        check_output_dir(output, root, config.notes_path)  # never the notes, the root or a foreign folder
        safe = (output / MARKER).exists()
    except OutputError:
        safe = False
    if safe:
        for rel in foreign_files(output, last):  # put there by hand: said before it goes
            warn(f"{display_path(output / rel, root)}: papernotes did not write this file: removed with the site "
                 f"(to keep a file in the site, put it in {STATIC_DIR}/{rel})")
        shutil.rmtree(output)
        removed.append(str(output))
    elif output.exists():
        warn(f"left {output} alone: papernotes did not write it")
    say("removed " + ", ".join(removed) if removed else "nothing to remove")
    return 0


def run_init(args: argparse.Namespace) -> int:
    try:
        created = init_site(args.directory, examples=not args.empty)
    except ScaffoldError as exc:
        warn(f"error: {exc}")
        return 2
    say(f"created {created} ({'starter note' if args.empty else 'example notes'}); next: cd {args.directory} && papernotes build")
    return 0


if __name__ == "__main__":  # pragma: no cover
    entry()
