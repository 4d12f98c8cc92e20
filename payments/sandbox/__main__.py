"""Run the sandbox alone: ``python -m payments.sandbox --port 8700 [--tls-cert …]``."""
import argparse
import logging

from .app import create_sandbox
from .server import SandboxServer, tls_context


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="PAYGENT + Paidy sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--db", default="instance/sandbox.sqlite3",
                        help="state store (SQLite file); ':memory:' for a throwaway one")
    parser.add_argument("--tls-cert", help="server certificate (PEM)")
    parser.add_argument("--tls-key", help="server private key (PEM)")
    parser.add_argument("--client-ca", help="require client certificates signed by this CA")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_sandbox(None if args.db == ":memory:" else args.db)
    context = tls_context(args.tls_cert, args.tls_key, args.client_ca) if args.tls_cert else None
    server = SandboxServer(app, args.host, args.port, context)
    print(f"PAYGENT sandbox: {server.url}/paygent   Paidy checkout: {server.url}/paidy/checkout.js")
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
