#!/usr/bin/env python3
"""Drives the simulator's Cybrid API with Cybrid's official Python client, unchanged.

Usage: check.py SIMULATOR_URL   (e.g. http://127.0.0.1:PORT; the client is pointed at URL/cybrid)

It proves that the simulator's responses parse in the SDK's strict models (32-character guids,
list-typed compliance decisions, ISO 8601 times, the list envelope) and that errors reach the
caller as ApiException with the documented status and body. It prints one line per check and a
closing `N passed, N failed` line, and exits non-zero on any failure.
"""

import datetime
import json
import sys
import traceback
import urllib.request

import cybrid_api_bank
from cybrid_api_bank.api.customers_bank_api import CustomersBankApi
from cybrid_api_bank.api.identity_verifications_bank_api import IdentityVerificationsBankApi
from cybrid_api_bank.exceptions import ApiException, NotFoundException, UnauthorizedException
from cybrid_api_bank.model.patch_customer import PatchCustomer
from cybrid_api_bank.model.post_customer import PostCustomer
from cybrid_api_bank.model.post_customer_address import PostCustomerAddress
from cybrid_api_bank.model.post_customer_name import PostCustomerName
from cybrid_api_bank.model.post_identity_verification import PostIdentityVerification

CLIENT_ID = "dossier-sandbox"
CLIENT_SECRET = "dossier-sandbox"

passed = 0
failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def get_token(url):
    """A bank token from the simulator's token endpoint, with plain urllib (no proxy: loopback only)."""
    body = json.dumps(
        {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    ).encode()
    request = urllib.request.Request(
        f"{url}/cybrid/oauth/token", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        reply = json.load(response)
    check("token endpoint answers bearer", reply.get("token_type") == "bearer", reply)
    return reply["access_token"]


def expect_api_error(name, call, status, message_code, error_message, exception=ApiException):
    """The call must raise ApiException (or the given subclass) with exactly this Cybrid body."""
    try:
        call()
    except exception as e:
        body = json.loads(e.body)
        expected = {"status": status, "error_message": error_message, "message_code": message_code}
        check(f"{name}: status {status}", e.status == status, f"got {e.status}")
        check(f"{name}: body", body == expected, f"got {body}")
        return
    except Exception as e:  # noqa: BLE001 - any other exception is the failure being reported
        check(name, False, f"raised {type(e).__name__}: {e}")
        return
    check(name, False, "no exception raised")


def main(url):
    token = get_token(url)
    config = cybrid_api_bank.Configuration(host=f"{url}/cybrid", access_token=token)
    client = cybrid_api_bank.ApiClient(config)
    customers = CustomersBankApi(client)
    verifications = IdentityVerificationsBankApi(client)

    # A customer with name and address, parsed into the SDK's Customer model.
    customer = customers.create_customer(
        PostCustomer(
            type="individual",
            name=PostCustomerName(first="Ada", last="Lovelace"),
            address=PostCustomerAddress(street="12 St James's Sq", city="London", country_code="GB"),
        )
    )
    check("create customer parses as Customer", len(customer.guid) == 32 and customer.state == "storing", customer)
    check("created_at parses as a datetime", isinstance(customer.created_at, datetime.datetime))
    guid = customer.guid

    fetched = customers.get_customer(guid, include_pii=True)
    check("get customer with include_pii=True", fetched.state == "unverified", fetched.state)

    edd = PostIdentityVerification(type="kyc", method="enhanced_due_diligence", customer_guid=guid)

    # EDD for an unverified customer: 422.
    expect_api_error(
        "EDD for an unverified customer",
        lambda: verifications.create_identity_verification(edd),
        422,
        "unverified_customer",
        "Customer has not been verified",
    )

    # Attest the customer's KYC, as Dossier does for a customer it verified locally.
    attested = verifications.create_identity_verification(
        PostIdentityVerification(
            type="kyc",
            method="attested",
            customer_guid=guid,
            date_of_birth=datetime.date(1815, 12, 10),
        )
    )
    check("attested kyc verification created", attested.state == "storing" and attested.outcome is None)
    attested = verifications.get_identity_verification(attested.guid)
    check(
        "attested verification completes as passed",
        attested.state == "completed" and attested.outcome == "passed",
        (attested.state, attested.outcome),
    )
    check(
        "compliance decisions parse",
        attested.compliance_decisions[0].type == "person_attested" and attested.compliance_decisions[0].state == "passed",
    )
    check("customer is verified", customers.get_customer(guid).state == "verified")

    # EDD for the verified customer: 201 in storing, then 409 while it is open.
    case = verifications.create_identity_verification(edd)
    check(
        "EDD created in storing with no outcome",
        case.state == "storing" and case.outcome is None and case.failure_codes == [] and case.compliance_decisions == [],
        case,
    )
    expect_api_error(
        "second EDD while one is in progress",
        lambda: verifications.create_identity_verification(edd),
        409,
        "data_exists",
        "Identity verification in progress already exists",
    )

    details = verifications.get_identity_verification(case.guid, include_pii=True)
    check(
        "get by guid adds the Persona inquiry",
        details.state == "waiting" and details.persona_inquiry_id.startswith("inq_") and details.persona_state == "waiting",
        details,
    )

    # List with the filters Dossier uses to find an EDD case whose create response was lost.
    page = verifications.list_identity_verifications(
        customer_guid=guid, type="kyc", method="enhanced_due_diligence", state="storing,waiting", page=0, per_page=10
    )
    check("list with comma-separated state filter", page.total == 1 and page.objects[0].guid == case.guid, page)
    check("list envelope", page.page == 0 and page.per_page == 10)
    everything = verifications.list_identity_verifications(customer_guid=guid, page=0, per_page=100)
    check("list without state filter, newest first", [o.guid for o in everything.objects] == [case.guid, attested.guid])
    completed = verifications.list_identity_verifications(customer_guid=guid, state="completed")
    check("list filtered to completed", [o.guid for o in completed.objects] == [attested.guid])

    listed = customers.list_customers(page=0, per_page=1)
    check("list customers", listed.total >= 1 and len(listed.objects) == 1)

    patched = customers.update_customer(guid, PatchCustomer(state="unverified"))
    check("patch customer to unverified", patched.state == "unverified")

    expect_api_error(
        "unknown customer",
        lambda: customers.get_customer("0" * 32),
        404,
        "not_found",
        "customer not found",
        NotFoundException,
    )
    bad = CustomersBankApi(
        cybrid_api_bank.ApiClient(cybrid_api_bank.Configuration(host=f"{url}/cybrid", access_token="not-a-token"))
    )
    expect_api_error(
        "bad token",
        lambda: bad.list_customers(),
        401,
        "authentication_failed",
        "Signature verification raised",
        UnauthorizedException,
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: check.py SIMULATOR_URL", file=sys.stderr)
        sys.exit(2)
    try:
        main(sys.argv[1].rstrip("/"))
    except Exception:  # noqa: BLE001 - report any unexpected failure as a failed check
        traceback.print_exc()
        check("the check ran to the end", False)
    print(f"cybrid sdk: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
