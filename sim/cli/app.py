"""``sim app``: the planner's web app (docs/app.md), served on 127.0.0.1 unless told otherwise.

Heavy imports (Panel) happen inside the function, so ``sim --help`` stays fast and a missing
``app`` extra is one line.
"""

from __future__ import annotations

import argparse
import os
import sys

from sim.errors import InputError


def _app(args: argparse.Namespace) -> int:
    from sim.cli.execution import execution_kwargs
    from sim.cli.options import int_option

    port = int_option(args.port, "--port", 0)
    if port > 65535:
        raise InputError(f"{port} is not a port", field="--port", allowed="0 to 65535")
    if not os.path.isdir(args.scenarios):
        raise InputError("is not a directory", file=args.scenarios, field="--scenarios",
                         allowed="the folder of scenario files the app may run")
    try:
        import panel  # noqa: F401
    except ImportError:
        raise InputError("the app needs Panel", field="sim app",
                         allowed="pip install 'community-office-sim[app]'") from None
    from sim.app.controller import MAX_WORLD_REPLICATIONS, MAX_WORLDS

    worlds = int_option(args.worlds, "--worlds", 1, MAX_WORLDS)
    reps = int_option(args.world_replications, "--world-replications", 2, MAX_WORLD_REPLICATIONS)
    ex = execution_kwargs(args)
    from sim.app import serve

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.stderr.write(f"note: serving on {args.host}: anyone who can reach it can run "
                         "simulations; see docs/app.md (reverse proxy, --basic-auth)\n")
    sys.stderr.write(f"sim app: http://{args.host}:{port}/ (Ctrl-C to stop)\n")
    sys.stderr.flush()
    serve(args.scenarios, args.host, port, args.lang, ex.get("executor") or "processes",
          ex.get("workers"), ex.get("scheduler"), show=args.show, basic_auth=args.basic_auth,
          allow_origin=args.allow_origin, worlds=worlds, world_replications=reps)
    return 0


def register(subparsers) -> None:
    from sim.cli.execution import add_execution_options

    p = subparsers.add_parser(
        "app", help="the planner's web app (compare a reform for your community, zh/en)",
        description="Serve the planner's app: set up a community, switch the reform's levers, "
                    "see the paired comparison (docs/app.md).")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", default="5006", help="port (default 5006; 0: any free port)")
    p.add_argument("--lang", choices=("en", "zh"), default="en",
                   help="page language when the link does not say (?lang=zh)")
    p.add_argument("--scenarios", default="scenarios", metavar="DIR",
                   help="the only folder whose scenario files the app runs (default scenarios)")
    p.add_argument("--basic-auth", metavar="PASSWORD_OR_FILE",
                   help="Panel's basic auth: a password, or a JSON file of users and passwords")
    p.add_argument("--allow-origin", action="append", metavar="HOST[:PORT]",
                   help="a public host name the page is reached by (behind a reverse proxy; "
                        "repeatable)")
    p.add_argument("--worlds", metavar="N",
                   help="worlds sampled by 'How sure are we' (default 16, at most 64)")
    p.add_argument("--world-replications", metavar="R",
                   help="paired replications per world there (default 4, 2 to 10)")
    p.add_argument("--show", action="store_true", help="open a browser tab")
    add_execution_options(p, default="processes")
    p.set_defaults(func=_app)
