"""``interopkit com ...``: real COM across bitness from the command line.

    interopkit com demo --client 32|64 --server 32|64 [--calls N] [--json]
    interopkit com register [--server 32|64] [--client 32|64]
    interopkit com unregister [--server 32|64] [--client 32|64]
    interopkit com ndr TYPE VALUE --bitness 32|64 [--win64] [--json]

``demo`` registers the kit's COM server, activates it with CLSCTX_LOCAL_SERVER from a client of
the given bitness, calls it, removes the registration and prints what happened: ``ptr_size``
(measured inside the server), ``add`` (Add(2, 3)), ``surrogate`` (the hosting process's
``image`` and ``bits``, seen from the client), ``hresults`` by name, ``create_ms`` and the
median call time. Under Wine every figure is Wine's, labelled so. ``register`` leaves the
registration in place (for a learner's own client, or regedit); ``unregister`` removes it.
``ndr`` prints the bytes a real proxy (widl's, under Wine) marshals for one ``[in]`` value,
beside the NDR model's (``interopkit.com.capture``).
This module only builds the parser: the work is in ``interopkit.com.real``, imported when a
command runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    """Add ``com`` and its actions to the ``interopkit`` parser's subcommands."""
    com = commands.add_parser("com", help="real COM across bitness: the kit's server in "
                              "COM's own surrogate (dllhost.exe), under Wine or on Windows")
    actions = com.add_subparsers(dest="action", required=True, metavar="ACTION")
    demo = actions.add_parser("demo", help="register, activate from a client of one bitness, "
                              "call, unregister")
    _bitness(demo, "--client", "the client process's bitness")
    _bitness(demo, "--server", "the COM server DLL's bitness (hosted by dllhost)")
    demo.add_argument("--calls", type=int, default=100,
                      help="timed Add calls after activation (default 100)")
    demo.add_argument("--json", action="store_true", help="print JSON")
    demo.set_defaults(run=_demo)
    for name, run, what in (("register", _register, "write the registration (and leave it)"),
                            ("unregister", _unregister, "remove the registration")):
        action = actions.add_parser(name, help=what)
        _bitness(action, "--server", "the COM server DLL's bitness (default 32)", default=32)
        _bitness(action, "--client", "the bitness of the client it is for (default 64)",
                 default=64)
        action.set_defaults(run=run)
    ndr = actions.add_parser("ndr", help="the bytes a real proxy marshals for one value, "
                             "beside the NDR model's")
    ndr.add_argument("type", metavar="TYPE", help="DWORD_PTR, INT_PTR, HANDLE_PTR or ULONG64")
    ndr.add_argument("value", metavar="VALUE", help="an integer of up to 64 bits (0x80000000)")
    _bitness(ndr, "--bitness", "the proxy's (and its process's) bitness")
    ndr.add_argument("--win64", action="store_true",
                     help="the 64-bit proxy/stub built with _WIN64 defined (HANDLE_PTR 8 bytes)")
    ndr.add_argument("--json", action="store_true", help="print JSON")
    ndr.set_defaults(run=_ndr)


def _bitness(parser: argparse.ArgumentParser, flag: str, what: str,
             default: int | None = None) -> None:
    parser.add_argument(flag, type=int, choices=(32, 64), required=default is None,
                        default=default, help=what)


def _print_json(data: Any) -> None:
    from interopkit.cli import _print_json as print_json  # one JSON style for every command

    print_json(data)


def _demo(args: argparse.Namespace) -> int:
    from interopkit.com import real

    if not 0 <= args.calls <= 100_000:
        from interopkit.errors import UsageError

        raise UsageError(f"--calls {args.calls}", "is not between 0 and 100000",
                         "Give fewer calls")
    print(f"activating the {args.server}-bit server from a {args.client}-bit client "
          f"({real.platform(args.client)}); the first activation takes a few seconds",
          file=sys.stderr)
    ran = real.demo(args.client, args.server, calls=args.calls)
    data = ran.to_json()
    if not args.json and (error := ran.error()) is not None:
        raise error
    if args.json:
        _print_json(data)
    else:
        surrogate = data["surrogate"] or {"image": "none", "bits": "-"}
        median = data["median_call_us"]
        print(f"{data['platform']}\n"
              f"  CoCreateInstance: {data['hresults']['CoCreateInstance']} in "
              f"{data['create_ms']:.0f} ms\n"
              f"  surrogate: {surrogate['image']} ({surrogate['bits']}-bit)\n"
              f"  ptr_size inside the server: {data['ptr_size']}; Add(2, 3) = {data['add']}\n"
              f"  calls: {data['hresults']['calls']}, {data['calls']} timed, median "
              + (f"{median:.0f} us" if median is not None else "-"))
    return 0 if ran.created and ran.hr == 0 else 1


def _register(args: argparse.Namespace) -> int:
    from interopkit.com import real

    setup = real.recipe(args.server, args.client)
    real.register(setup)
    print(f"registered the {args.server}-bit Sample server ({real.SAMPLE_CLSID}) for "
          f"{args.client}-bit clients in {real.platform(args.client).split(',')[0]}; "
          "remove it with: interopkit com unregister")
    return 0


def _unregister(args: argparse.Namespace) -> int:
    from interopkit.com import real

    real.unregister(real.recipe(args.server, args.client))
    print(f"removed the {args.server}-bit Sample server's registration")
    return 0


def _ndr(args: argparse.Namespace) -> int:
    from interopkit.com.capture import ndr_case, parse_value

    case = ndr_case(args.type, parse_value(args.value), args.bitness, args.win64)
    if args.json:
        _print_json(case)
        return 0
    print(f"{case['type']} {case['value']} through the {case['dll']} proxy ({case['platform']})")
    print(f"  real:  {case['bytes_hex']}   received {case['server_saw']}")
    print(f"  model: {case['model_hex']}   received {case['model_received']}")
    print(f"  (the bytes: {case['cut']})")
    difference = case["known_difference"]
    verdict = "agree" if case["agree"] else "differ"
    if isinstance(difference, dict):
        verdict += f": Wine differs from the documentation ({difference['key']}): " \
                   f"{difference['wine']}"
    print(f"  {verdict}")
    return 0
