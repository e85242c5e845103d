"""Resident satisfaction survey (居民满意度测评) of each 15-minute life circle."""
