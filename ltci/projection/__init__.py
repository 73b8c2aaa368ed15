"""Ten-year projections of a region's fund (issue 18, docs/decisions/0028): pure functions over Polars
frames and an assumptions file, in the policy engine's style. No Django: the database is read by
`ltci.fund.projection_inputs`."""
