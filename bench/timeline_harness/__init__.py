"""A Django-free fake of the timeline's HTTP contract, for developing and benchmarking the component."""
