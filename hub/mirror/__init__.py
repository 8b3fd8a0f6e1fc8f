"""The hub's store of published data (locations, tariffs, tokens; ownership of sessions and CDRs)."""
