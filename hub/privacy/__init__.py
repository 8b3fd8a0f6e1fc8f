"""Personal data the hub keeps: sealed at rest, erased on request, pruned after a while."""
