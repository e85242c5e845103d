"""Demo: the seeds' two communities, generated deterministically."""
