"""A simulated OICP 2.3 roaming hub in Hubject's style (HBS), for testing an OICP adapter and for
trying an OICP upstream without a contract. It serves the HBS side of OICP 2.3 on a loopback port
(plain HTTP, or HTTPS with mutual TLS from `trustme` certificates), keeps what partners push,
authorizes against virtual EMPs, relays remote starts to virtual CPOs, and calls the connected
partner on the tests' demand.

    sim = OicpHubSimulator(
        [Partner("our-hub", operator_id="DE*HUB", provider_id="DE-HUB", url=partner_url)],
        cpos=[VirtualCpo("DE*CPO", evses=[make_evse_record("DE*CPO*E1")])],
        emps=[VirtualEmp("DE-EMP", allowed={"AABBCCDD"}, blocked={"DE-EMP-C12345678-9"})],
    )
    base = await sim.start()                       # http://127.0.0.1:<port>/api/oicp
    reply = await sim.remote_start("DE*HUB*E1", "DE-EMP-C12345678-9")   # -> partner's CPO role
    sim.journal.select("eRoamingPushEvseData", "inbound")   # what came in, in order
    await sim.set_faults(OicpFaults(server_errors=2))
    await sim.stop()

Modules: `simulator` (the facade), `app` (paths, identity, faults, rate limits), `data_ops` and
`session_ops` (the operations), `state`, `parties`, `validation`, `ids`, `codes`, `journal`,
`faults`, `outbound` (calls to the partner), `tls` and `serving` (HTTPS with client certificates).
"""

from simulators.oicp_hub.faults import OicpFaults
from simulators.oicp_hub.ids import canonical, new_session_id
from simulators.oicp_hub.journal import Entry, Journal
from simulators.oicp_hub.outbound import PARTNER_PATHS, Reply
from simulators.oicp_hub.parties import Contracts, Partner, VirtualCpo, VirtualEmp, make_evse_record
from simulators.oicp_hub.simulator import OicpHubSimulator
from simulators.oicp_hub.tls import ClientCert, HubTls, issue_client_cert

__all__ = [
    "PARTNER_PATHS",
    "ClientCert",
    "Contracts",
    "Entry",
    "HubTls",
    "Journal",
    "OicpFaults",
    "OicpHubSimulator",
    "Partner",
    "Reply",
    "VirtualCpo",
    "VirtualEmp",
    "canonical",
    "issue_client_cert",
    "make_evse_record",
    "new_session_id",
]
