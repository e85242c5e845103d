"""Quarter: the platform a community runs for its 15-minute convenience life circle."""
