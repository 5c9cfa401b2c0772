"""Plan → text / markdown / json. Pure functions over one row view-model."""
