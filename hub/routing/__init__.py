"""The routing decision, as a value: who receives a request, or why nobody does."""
