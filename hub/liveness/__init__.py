"""Liveness: what the hub knows of each platform's connection status, and telling the others.

Registration and broadcast both use this room and never each other: platform status changes
and the HubClientInfo rows they cause (`clientinfo`), the still-alive checker and the notes of
who sent what (`still_alive`), status changes from forwarding outcomes (`reachability`), and
the client for a platform's configuration modules (`peer`: versions, details, credentials).
"""
