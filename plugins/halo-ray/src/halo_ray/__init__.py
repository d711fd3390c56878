"""halo-ray: executor `ray` — every input's stage graph as Ray work on a private or existing cluster."""
