#!/usr/bin/env python3
"""A PAC front end written against a client generated from /openapi.yaml, run against `serve --demo`.

Generates a Python client with openapi-python-client (PyPI) from the service's document, fails on any
warning the generator prints (an operation or response it could not represent), then runs a short PAC
session through the generated code only: sign in, read the options, submit a change request, set an
opt-out, read the account. Usage: python3 Tests/client/run.py [path to binary]
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DOCUMENT = os.path.join(ROOT, "Sources", "PatronServicesHTTP", "Resources", "openapi.yaml")
spec = importlib.util.spec_from_file_location("reliability", os.path.join(ROOT, "Tests", "reliability", "run.py"))
reliability = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reliability)


def generate(folder):
    run = subprocess.run([sys.executable, "-m", "openapi_python_client", "generate", "--path", DOCUMENT, "--meta", "none"],
                         cwd=folder, capture_output=True, text=True, timeout=600)
    output = run.stdout + run.stderr
    warnings = [line for line in output.splitlines() if "warning" in line.lower() or "cannot" in line.lower() or "unsupported" in line.lower()]
    if run.returncode != 0 or warnings:
        print(output[-4000:])
        raise SystemExit(f"openapi-python-client: exit {run.returncode}, {len(warnings)} warning lines")
    print("generated patron_services_client with 0 warnings")
    sys.path.insert(0, folder)


def pac_session(base, key, barcode, pin):
    from patron_services_client import AuthenticatedClient, Client
    from patron_services_client.api.pac import (get_pac_v1_account, get_pac_v1_options, post_pac_v1_change_requests,
                                                post_pac_v1_sign_in, put_pac_v1_notice_opt_outs)
    from patron_services_client.models import (ChangeRequestResult, ChangeSubmission, NoticeOptOuts, OptOuts, PACOptions, Patron, Session,
                                               SignIn)

    anonymous = Client(base_url=base, headers={"X-PAC-Client-Key": key}, raise_on_unexpected_status=True)
    session = post_pac_v1_sign_in.sync(client=anonymous, body=SignIn(barcode=barcode, pin=pin))
    assert isinstance(session, Session), f"sign-in: {session}"
    print(f"ok   signed in as patron {session.patron_id}, session until {session.expires_at}")
    pac = AuthenticatedClient(base_url=base, token=session.session_token, headers={"X-PAC-Client-Key": key},
                              raise_on_unexpected_status=True)
    options = get_pac_v1_options.sync(client=pac)
    assert isinstance(options, PACOptions) and options.patron_can_request_updates is True, f"options: {options}"
    print(f"ok   options of branch {options.branch_id} ({options.scope.reason}): address {options.fields.address}")
    result = post_pac_v1_change_requests.sync(client=pac, body=ChangeSubmission.from_dict({
        "phone": {"areaCode": "312", "prefix": "555", "lineNumber": "0142"},
        "address": {"line1": "1 Generated Way", "city": "Chicago", "state": "IL", "postalCode": "60614"}}))
    assert isinstance(result, ChangeRequestResult), f"change request: {result}"
    outcomes = {name: field.outcome for name, field in result.fields.additional_properties.items()}
    assert outcomes == {"phone": "applied", "address": "pending_verification"}, outcomes
    print(f"ok   change request {result.request_id}: {outcomes}")
    optouts = put_pac_v1_notice_opt_outs.sync(client=pac, body=OptOuts.from_dict({"patronRecordExpiration": True}))
    assert isinstance(optouts, NoticeOptOuts) and optouts.patron_record_expiration is True, f"opt-outs: {optouts}"
    print("ok   opted out of the patron record expiration reminder")
    account = get_pac_v1_account.sync(client=pac)
    assert isinstance(account, Patron) and account.barcode == barcode, f"account: {account}"
    assert account.phone1 == "312-555-0142" and account.notice_opt_outs.patron_record_expiration is True
    assert account.pending_change_request is not None
    print(f"ok   account of {account.first_name} {account.last_name}: phone {account.phone1}, "
          f"{len(account.pending_change_request.fields)} field(s) awaiting staff")


def main():
    folder = tempfile.mkdtemp(prefix="ps-client-")
    try:
        generate(folder)
        service_folder = os.path.join(folder, "service")
        os.mkdir(service_folder)
        service = reliability.Service(service_folder)
        try:
            pac_session(f"http://127.0.0.1:{service.port}", service.credentials["pac"], service.credentials["barcode"], "1234")
        finally:
            service.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("client: the generated client ran the PAC session")
    return 0


if __name__ == "__main__":
    sys.exit(main())
