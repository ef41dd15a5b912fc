"""``python -m demo_site [--host H] [--port P]``: run the demo website."""

from __future__ import annotations

import argparse

from . import ORG_SLUG, admin_login, create_app, deliver_mail_in_background, mail_dir


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m demo_site",
        description="Run a sample organisation's website with ecitiz-kit forms.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    parser.add_argument("--port", type=int, default=5000, help="default: 5000")
    args = parser.parse_args(argv)

    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
    origins = {f"http://{shown}:{args.port}", f"http://localhost:{args.port}"}
    origins.add(f"http://127.0.0.1:{args.port}")
    base = f"http://{shown}:{args.port}"
    app = create_app(tuple(sorted(origins)), base)
    email, password = admin_login(app)
    print(
        f"""
  Val-Fleuri Entreprendre (demo website)  {base}/
    crisis-aid request                    {base}/aide
    attestation                           {base}/attestation
    all procedures (the counter)          {base}/demarches
    follow my request                     {base}/suivi
  Check an attestation                    {base}/kit/v
  Form pages served by the kit            {base}/kit/f/{ORG_SLUG}/aid-request
  Staff dashboard                         {base}/kit/staff/
  Staff account                           {email} / {password}
  Data                                    {app.extensions["ecitiz"].data_dir}
  E-mails (.eml files, sent every 2 s)    {mail_dir(app)}
  My requests (a link by e-mail)          {base}/kit/my/{ORG_SLUG}
""",
        flush=True,
    )
    deliver_mail_in_background(app)
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
