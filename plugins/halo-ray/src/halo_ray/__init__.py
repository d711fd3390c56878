"""halo-ray: executor `ray` (each input's stage graph as Ray work, private or joined cluster)."""
