"""Where OCPI 2.1.1 and 2.3.0 parties meet the hub's 2.2.1 pipeline (issue 15).

The pipeline speaks 2.2.1 only. A request from a party of another edition is translated to 2.2.1
once, at ingress (`inbound`), before the decision; what goes to a receiver of another edition is
translated from 2.2.1 once, on the way out (`outbound`), and the receiver's reply is translated back
to the requester's edition. The translation itself is the pure layer `hub.translation`; this room
finds the context it needs (owners, tokens, locations in the hub's store) and says which object a
message carries (`kinds`). Credentials have their edition's shape (`credentials`).
"""
