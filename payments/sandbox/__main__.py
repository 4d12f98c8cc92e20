"""Run the sandbox alone: ``python -m payments.sandbox --port 8700 [--tls-cert …]``.

Its control API needs a token: ``--control-token``, else the one kept next to the state store
(``sandbox_token`` in the ``--db`` file's folder, made on first use). It is printed at start.
"""
import argparse
import logging
import os
import secrets

from .app import create_sandbox
from .control import TOKEN_HEADER, token_in_folder
from .server import SandboxServer, tls_context


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="PAYGENT + Paidy sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--db", default="instance/sandbox.sqlite3",
                        help="state store (SQLite file); ':memory:' for a throwaway one")
    parser.add_argument("--control-token",
                        help="token the control API requires in the X-Sandbox-Token header "
                             "(default: kept in sandbox_token beside the --db file)")
    parser.add_argument("--tls-cert", help="server certificate (PEM)")
    parser.add_argument("--tls-key", help="server private key (PEM)")
    parser.add_argument("--client-ca", help="require client certificates signed by this CA")
    return parser


def build(argv=None):
    """The sandbox app for these arguments, and the control token it requires."""
    args = _parser().parse_args(argv)
    return _build(args)


def _build(args):
    throwaway = args.db == ":memory:"
    token = args.control_token or (
        secrets.token_urlsafe(32) if throwaway
        else token_in_folder(os.path.dirname(os.path.abspath(args.db))))
    return create_sandbox(None if throwaway else args.db, control_token=token), token


def main(argv=None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app, token = _build(args)
    context = tls_context(args.tls_cert, args.tls_key, args.client_ca) if args.tls_cert else None
    server = SandboxServer(app, args.host, args.port, context)
    print(f"PAYGENT sandbox: {server.url}/paygent", flush=True)
    print(f"Paidy checkout: {server.url}/paidy/checkout.js", flush=True)
    print(f"card token script: {server.url}/card/PaygentToken.js", flush=True)
    print(f"store terminal and ATM: {server.url}/cvs/terminal", flush=True)
    print(f"control API: {server.url}/control/…  (header {TOKEN_HEADER})", flush=True)
    print(f"control token: {token}", flush=True)
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
