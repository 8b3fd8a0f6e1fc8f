"""`make bench`: throughput and latency figures, measured side by side in one run."""
