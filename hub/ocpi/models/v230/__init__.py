"""OCPI 2.3.0 objects where they differ from 2.2.1 (2.3.0 changelog.asciidoc, "Changes between
2.2.1-d2 and 2.3.0"): Price with taxes, Tariff tax_included, Parking, new Location/EVSE/Connector
fields, OpenEnums (any value accepted), Credentials hub_party_id, Role without HUB, Payments.
ChargingProfiles is unchanged: `hub.ocpi.models.v221.chargingprofiles`."""
