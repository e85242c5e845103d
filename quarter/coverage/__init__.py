"""Coverage: the street network, walking reach per compound and the gap report."""
