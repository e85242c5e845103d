"""Places: the business-type catalogue, communities and compounds,
merchants, search and the map."""
