"""Simulated OCPI parties, shipped with the hub: a CPO (`SimulatedCpo`) and an eMSP
(`SimulatedEmsp`) of OCPI 2.2.1, 2.1.1 or 2.3.0 (`version=`), each a real platform on a loopback
port that registers with a hub given a token A, with switchable fault modes (`Faults`).
`simulators.demo` plays a charging session through a hub (`ocpi-hub demo`); `python -m simulators`
runs one party on its own."""

from simulators.cpo import ChargingSession, SimulatedCpo
from simulators.emsp import CommandOutcome, SimulatedEmsp
from simulators.faults import Faults
from simulators.journal import Exchange
from simulators.platform import OcpiPlatform, Party, RegistrationFailed, Reply

__all__ = [
    "ChargingSession",
    "CommandOutcome",
    "Exchange",
    "Faults",
    "OcpiPlatform",
    "Party",
    "RegistrationFailed",
    "Reply",
    "SimulatedCpo",
    "SimulatedEmsp",
]
